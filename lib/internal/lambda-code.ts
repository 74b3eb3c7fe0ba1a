/**
 * The one way Keygate's constructs create their Lambda functions: from the bundles the package build wrote
 * into `assets/lambda/<name>/` (scripts/build-lambdas.ts). Synthesis then only hashes and copies a
 * directory: a consumer of the published package needs neither esbuild nor Docker, and in this repository
 * a test run bundles each function once (test/global-setup.ts) instead of once per synthesized stack.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { LAMBDA_ENTRIES, lambdaAssetDir, lambdaBuildRecord, lambdaBundleFiles } from './lambda-entries';
import type { LambdaEntryName } from './lambda-entries';

/** Options of a Keygate function: everything of `lambda.Function` but its code, runtime and architecture. */
export interface KeygateFunctionProps extends Omit<lambda.FunctionOptions, 'architecture' | 'architectures'> {
  /** Which bundled function to deploy. */
  readonly entry: LambdaEntryName;
  /**
   * The bundle's export to run, as `index.<export>`.
   * @default 'index.handler'
   */
  readonly handler?: string;
}

/** Every Keygate function runs on Node.js 22 on Graviton (arm64), the platform its bundle targets. */
export const KEYGATE_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const KEYGATE_ARCHITECTURE = lambda.Architecture.ARM_64;

/**
 * A Lambda function running the prebuilt bundle of `props.entry` (handler `index.handler`, Node.js 22,
 * arm64). Throws when the bundle is missing, naming the build command.
 */
export function keygateFunction(scope: Construct, id: string, props: KeygateFunctionProps): lambda.Function {
  return functionFromBundle(scope, id, props, resolveLambdaCode(props.entry));
}

/** keygateFunction with the bundle already resolved (tests give a bundle of their own). */
export function functionFromBundle(
  scope: Construct,
  id: string,
  props: KeygateFunctionProps,
  bundle: ResolvedLambdaCode,
): lambda.Function {
  const { entry, handler, ...options } = props;
  const fn = new lambda.Function(scope, id, {
    ...options,
    runtime: KEYGATE_RUNTIME,
    architecture: KEYGATE_ARCHITECTURE,
    handler: handler ?? 'index.handler',
    code: lambda.Code.fromAsset(bundle.dir),
  });
  acknowledgeRedundantRoleDependency(fn);
  if (bundle.staleInputs.length > 0) {
    // An error annotation fails `cdk synth` and `cdk deploy` (never deploy code older than its sources)
    // without breaking unit tests that inspect the template.
    Annotations.of(fn).addError(
      `The '${entry}' Lambda bundle is older than its sources (${describe(bundle.staleInputs)}); ` +
        'run `npm run build:lambdas`',
    );
  }
  return fn;
}

/**
 * cfn-lint W3005 ("dependency already enforced by a GetAtt"): aws-cdk's `lambda.Function` makes the
 * function depend on its role construct, so that the role's policies (the DefaultPolicy resource, which
 * the function does not reference) exist before the function is created and first invoked. That one
 * construct dependency also writes the role itself into DependsOn, which the `Role` GetAtt already
 * enforces: redundant and harmless. Removing it would mean reaching into the L2's dependency graph, so it
 * is acknowledged on the function resource instead (test/cfn-lint lists every acknowledgement).
 */
function acknowledgeRedundantRoleDependency(fn: lambda.Function): void {
  (fn.node.defaultChild as lambda.CfnFunction).addMetadata('cfn-lint', {
    config: { ignore_checks: ['W3005'] },
  });
}

export interface ResolvedLambdaCode {
  /** Absolute directory of the bundle: the Lambda asset. */
  readonly dir: string;
  /**
   * In a source checkout: inputs changed since the bundle was built (package-root-relative), or the
   * build record itself when it is missing. Empty in a published package, which ships no sources.
   */
  readonly staleInputs: readonly string[];
}

const cache = new Map<string, ResolvedLambdaCode>();

/**
 * Finds the bundle of `entry` under the package root (the nearest directory above this module holding a
 * package.json: the repository in development, `node_modules/<package>` once installed).
 */
export function resolveLambdaCode(entry: LambdaEntryName, root: string = packageRoot()): ResolvedLambdaCode {
  const key = `${root}\0${entry}`;
  const known = cache.get(key);
  if (known) return known;
  if (!Object.prototype.hasOwnProperty.call(LAMBDA_ENTRIES, entry)) {
    throw new Error(
      `keygateFunction: entry must be one of ${Object.keys(LAMBDA_ENTRIES).join(', ')}, got '${entry}'`,
    );
  }
  const dir = path.join(root, lambdaAssetDir(entry));
  // Every file of the bundle: a function missing a module it loads on demand (the authorizer's
  // session.js) would only fail once a configuration needs it, at run time.
  for (const file of lambdaBundleFiles(entry)) {
    if (!fs.existsSync(path.join(dir, file))) {
      throw new Error(
        `keygateFunction: the prebuilt '${entry}' Lambda bundle is missing (${path.join(dir, file)}); ` +
          'run `npm run build:lambdas` in the Keygate source tree (published packages ship it)',
      );
    }
  }
  const resolved: ResolvedLambdaCode = { dir, staleInputs: staleInputs(entry, root) };
  cache.set(key, resolved);
  return resolved;
}

/** Inputs whose content differs from the build record; only where the sources are present. */
function staleInputs(entry: LambdaEntryName, root: string): string[] {
  if (!fs.existsSync(path.join(root, LAMBDA_ENTRIES[entry].source))) return [];
  const recordFile = path.join(root, lambdaBuildRecord(entry));
  let inputs: Record<string, unknown>;
  try {
    inputs = (JSON.parse(fs.readFileSync(recordFile, 'utf8')) as { inputs: Record<string, unknown> }).inputs;
  } catch {
    return [path.relative(root, recordFile).split(path.sep).join('/')];
  }
  const stale: string[] = [];
  for (const [file, hash] of Object.entries(inputs)) {
    let actual: string | undefined;
    try {
      actual = createHash('sha256')
        .update(fs.readFileSync(path.join(root, file)))
        .digest('hex');
    } catch {
      actual = undefined;
    }
    if (actual !== hash) stale.push(file);
  }
  return stale;
}

function describe(files: readonly string[]): string {
  const shown = files.slice(0, 3).join(', ');
  return files.length > 3 ? `${shown} and ${files.length - 3} more` : shown;
}

function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`keygateFunction: no package.json above ${__dirname}`);
    dir = parent;
  }
}
