/**
 * `npm run build:lambdas`: bundles every Lambda function of lib/internal/lambda-entries.ts with esbuild
 * into `assets/lambda/<name>/index.js` (+ `index.js.map`), plus one file per further module of the
 * function (the authorizer's `session.js`; deferred modules through scripts/bundle-deferred-modules.ts), so the published package carries its Lambda code ready to
 * deploy and consumers need neither esbuild nor Docker.
 *
 * The output is a pure function of the sources: esbuild writes no timestamps, paths in the source map are
 * relative to the package root, entries are built in a fixed order, and files are replaced atomically.
 * Equal sources therefore give equal bytes, so CDK asset hashes stay put between builds.
 *
 * Beside the bundles it records, per function, the content hash of every input file of all its files
 * (`assets/.build/<name>.json`, not shipped); lib/internal/lambda-code.ts uses it in a source checkout to
 * refuse a deployment of bundles older than their sources.
 */
import { Console } from 'node:console';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { BuildOptions } from 'esbuild';
import {
  LAMBDA_BUNDLE_FLAGS,
  LAMBDA_ENTRIES,
  LAMBDA_ENTRY_NAMES,
  lambdaAssetDir,
  lambdaBuildRecord,
} from '../lib/internal/lambda-entries';
import type { LambdaEntryName } from '../lib/internal/lambda-entries';
import { deferredModulesPlugin } from './bundle-deferred-modules';

export const PACKAGE_ROOT = path.join(__dirname, '..');

/** Files of one bundle, as written. */
export interface BuiltFile {
  /** Path relative to the bundle's directory. */
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface BuiltLambda {
  readonly name: LambdaEntryName;
  /** Absolute directory of the bundle (what a Lambda asset uploads). */
  readonly dir: string;
  readonly files: readonly BuiltFile[];
  /** Number of source files esbuild read. */
  readonly inputs: number;
}

export interface BuildLambdasOptions {
  /** Package root holding `lambda/` and `node_modules/`. @default the repository root */
  readonly root?: string;
  /** Directory the `assets/` tree is written under. @default root */
  readonly outRoot?: string;
}

/**
 * The esbuild options of one function: the same flags NodejsFunction would pass for it. `index` and each
 * further module are separate entry points of one build (no code splitting: each file stands alone).
 */
export function esbuildOptions(name: LambdaEntryName, root: string, outdir: string): BuildOptions {
  const spec = LAMBDA_ENTRIES[name];
  const modules = Object.entries(spec.modules ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return {
    absWorkingDir: root,
    entryPoints: [
      { in: path.join(root, spec.source), out: 'index' },
      ...modules.map(([out, source]) => ({ in: path.join(root, source), out })),
    ],
    outdir,
    ...LAMBDA_BUNDLE_FLAGS,
    sourcemap: true,
    sourcesContent: false,
    external: [...spec.external],
    ...(spec.mainFields ? { mainFields: [...spec.mainFields] } : {}),
    ...(spec.deferred ? { plugins: [deferredModulesPlugin(root, spec.modules ?? {}, spec.deferred)] } : {}),
    metafile: true,
    write: false,
    logLevel: 'warning',
  };
}

export async function buildLambdas(options: BuildLambdasOptions = {}): Promise<BuiltLambda[]> {
  const root = options.root ?? PACKAGE_ROOT;
  const outRoot = options.outRoot ?? root;
  const built: BuiltLambda[] = [];
  // One at a time, in the list's order: two cores are shared, and the order never varies.
  for (const name of LAMBDA_ENTRY_NAMES) {
    const source = path.join(root, LAMBDA_ENTRIES[name].source);
    if (!fs.existsSync(source)) continue;
    const dir = path.join(outRoot, lambdaAssetDir(name));
    // esbuild places the bundle as if in the package root (source map paths are relative to it) and
    // writes nothing; the files go to outRoot below.
    const placed = path.join(root, lambdaAssetDir(name));
    const result = await build(esbuildOptions(name, root, placed));
    fs.mkdirSync(dir, { recursive: true });
    const files: BuiltFile[] = [];
    const expected = new Set<string>();
    for (const out of [...(result.outputFiles ?? [])].sort((a, b) => a.path.localeCompare(b.path))) {
      const file = path.relative(placed, out.path);
      expected.add(file);
      writeAtomically(path.join(dir, file), out.contents);
      files.push({ file, bytes: out.contents.byteLength, sha256: sha256(out.contents) });
    }
    // The directory is the asset: anything else in it would be uploaded and change the hash.
    for (const entry of fs.readdirSync(dir)) {
      if (!expected.has(entry)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    }
    const inputs = Object.keys(result.metafile?.inputs ?? {}).sort();
    writeInputsRecord(outRoot, name, root, inputs);
    built.push({ name, dir, files, inputs: inputs.length });
  }
  return built;
}

/** The record of a bundle's inputs: package-root-relative path -> sha256 of the content. */
export interface InputsRecord {
  readonly inputs: { readonly [file: string]: string };
}

function writeInputsRecord(outRoot: string, name: LambdaEntryName, root: string, inputs: string[]): void {
  const record: { inputs: Record<string, string> } = { inputs: {} };
  for (const input of inputs) {
    // esbuild names inputs relative to absWorkingDir; namespaced ones (e.g. `<define:...>`) have no file.
    const file = path.join(root, input);
    if (fs.existsSync(file)) record.inputs[input.split(path.sep).join('/')] = sha256(fs.readFileSync(file));
  }
  const target = path.join(outRoot, lambdaBuildRecord(name));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  writeAtomically(target, Buffer.from(`${JSON.stringify(record, null, 1)}\n`));
}

/** Write then rename, so a synth running at the same time never reads half a bundle. */
function writeAtomically(file: string, contents: Uint8Array): void {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, contents);
  fs.renameSync(temp, file);
}

function sha256(contents: Uint8Array): string {
  return createHash('sha256').update(contents).digest('hex');
}

async function main(): Promise<void> {
  const started = Date.now();
  const built = await buildLambdas();
  const rows = built.flatMap((b) =>
    b.files.map((f) => ({
      function: b.name,
      file: f.file,
      bytes: f.bytes,
      sha256: f.sha256.slice(0, 16),
      inputs: b.inputs,
    })),
  );
  // The report goes to stderr: `cdk synth` runs this before the app and passes stdout through, where the
  // template must be the only output.
  const report = new Console(process.stderr);
  report.table(rows);
  report.log(`built ${built.length} Lambda bundles in ${Date.now() - started} ms`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
