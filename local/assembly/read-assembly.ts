/**
 * Reads a synthesized cloud assembly (`cdk.out`) black-box: the manifest names the stacks, each stack's
 * template holds what CloudFormation would deploy. Nothing of the app's code is loaded, so any app that
 * synthesizes Keygate constructs (or hand-edits their template) is read the same way.
 * Cloud assembly format: https://github.com/aws/aws-cdk-cli/tree/main/packages/%40aws-cdk/cloud-assembly-schema
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AssemblyApi, AssemblyFunction, AssemblyStack } from './assembly-model';
import { AssemblyError } from './assembly-model';
import { readHttpApis } from './read-http-api';
import { readInvokeGrants } from './read-iam-grants';
import { readRestApis } from './read-rest-api';
import { readUsagePlans, unreadablePlanRoutes } from './read-usage-plans';
import type { Resources } from './template';
import { literal, referencedIds } from './template';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { SIGN_IN_CONFIG_ENV } from '../../common/function-env';
import { BACKCHANNEL_LOGOUT_CONFIG_ENV } from '../../common/back-channel-logout';
import { isTable, localTableName } from './read-tables';

interface StackArtifact {
  readonly name: string;
  readonly templateFile: string;
  readonly region?: string;
  readonly account?: string;
}

/** Node.js runtimes the local gateway runs (any `nodejsNN.x`). */
const NODE_RUNTIME = /^nodejs\d+\.x$/;

/** Reads the chosen stack of the assembly in `dir`. Throws AssemblyError with one clear line. */
export function readAssembly(assembly: string, stackName?: string): AssemblyStack {
  // Absolute: each function process runs in its own asset folder.
  const dir = resolve(assembly);
  const stack = chooseStack(stackArtifacts(dir), stackName, dir);
  const resources = resourcesOf(
    readJson(join(dir, stack.templateFile), `the template of stack ${stack.name}`),
    `the template of stack ${stack.name}`,
  );
  const functions = readFunctions(resources, dir, assetFolders(dir, stack.name), stack.region ?? 'us-east-1');
  const usage = readUsagePlans(resources);
  const read: AssemblyApi[] = [...readHttpApis(resources), ...readRestApis(resources)];
  const apis: AssemblyApi[] = unreadablePlanRoutes(read, usage).map((api) => ({
    ...api,
    routes: api.routes.map((r) => {
      const fn = r.functionId ? functions[r.functionId] : undefined;
      const authorizer = api.authorizers.find((a) => a.id === r.authorizerId);
      const authorizerFn = authorizer?.functionId ? functions[authorizer.functionId] : undefined;
      const why = fn?.unsupported ?? authorizerFn?.unsupported;
      return !r.unsupported && why ? { ...r, unsupported: why } : r;
    }),
  }));
  if (apis.length === 0) throw new AssemblyError(`stack ${stack.name} in ${dir} has no HTTP or REST API`);
  return {
    name: stack.name,
    region: stack.region ?? 'us-east-1',
    ...(stack.account ? { account: stack.account } : {}),
    apis,
    functions,
    grants: readInvokeGrants(resources),
    usage,
  };
}

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new AssemblyError(`cannot read ${what}: ${file} does not exist`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    // A folder in its place, no read permission: say what the system said, not "not JSON".
    throw new AssemblyError(`cannot read ${what}: ${file}: ${(e as Error).message}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new AssemblyError(`cannot read ${what}: ${file} is not JSON (${(e as Error).message})`, {
      cause: e,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AssemblyError(`cannot read ${what}: ${file} is not a JSON object`);
  }
  return value;
}

/**
 * A template's resources: a hand-edited template may hold anything, so entries that are not objects with a
 * string `Type` are left out (none of them is an API, a route or a function the gateway could serve).
 */
function resourcesOf(template: unknown, what: string): Resources {
  const resources = (template as { Resources?: unknown }).Resources;
  if (typeof resources !== 'object' || resources === null || Array.isArray(resources)) {
    throw new AssemblyError(`cannot read ${what}: it has no Resources object`);
  }
  return Object.fromEntries(
    Object.entries(resources).filter(
      ([, r]) => typeof r === 'object' && r !== null && typeof (r as { Type?: unknown }).Type === 'string',
    ),
  ) as Resources;
}

function stackArtifacts(dir: string): StackArtifact[] {
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new AssemblyError(
      `cannot read the cloud assembly: ${join(dir, 'manifest.json')} does not exist (run \`cdk synth\` first, or name the folder with --app)`,
    );
  }
  const manifest = readJson(join(dir, 'manifest.json'), 'the cloud assembly') as {
    artifacts?: Record<
      string,
      { type?: string; environment?: string; properties?: { templateFile?: string } }
    >;
  };
  const out: StackArtifact[] = [];
  for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact?.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    // environment: aws://<account>/<region>, with unknown-account / unknown-region when not set.
    const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
    out.push({
      name,
      templateFile: artifact.properties.templateFile,
      ...(region && region !== 'unknown-region' ? { region } : {}),
      ...(account && /^\d{12}$/.test(account) ? { account } : {}),
    });
  }
  return out;
}

function chooseStack(stacks: StackArtifact[], name: string | undefined, dir: string): StackArtifact {
  const names = stacks.map((s) => s.name).join(', ');
  if (name) {
    const found = stacks.find((s) => s.name === name);
    if (!found)
      throw new AssemblyError(`--stack ${name} is not a stack of ${dir} (stacks: ${names || 'none'})`);
    return found;
  }
  if (stacks.length === 1) return stacks[0];
  if (stacks.length === 0) throw new AssemblyError(`${dir} holds no stack`);
  throw new AssemblyError(`${dir} holds several stacks: choose one with --stack (${names})`);
}

/** Asset hash → folder, from the stack's asset manifest (`<stack>.assets.json`). */
function assetFolders(dir: string, stack: string): Record<string, string> {
  const file = join(dir, `${stack}.assets.json`);
  if (!existsSync(file)) return {};
  const manifest = readJson(file, `the assets of stack ${stack}`) as {
    files?: Record<string, { source?: { path?: string } }>;
  };
  const out: Record<string, string> = {};
  for (const [hash, f] of Object.entries(manifest.files ?? {})) {
    if (typeof f?.source?.path === 'string') out[hash] = join(dir, f.source.path);
  }
  return out;
}

function readFunctions(
  resources: Resources,
  dir: string,
  assets: Record<string, string>,
  region: string,
): Record<string, AssemblyFunction> {
  const out: Record<string, AssemblyFunction> = {};
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    out[id] = readFunction(id, r.Properties ?? {}, r.Metadata ?? {}, dir, assets, { resources, region });
  }
  return out;
}

function readFunction(
  id: string,
  p: Record<string, unknown>,
  metadata: Record<string, unknown>,
  dir: string,
  assets: Record<string, string>,
  stack: StandInContext,
): AssemblyFunction {
  const { resources } = stack;
  const runtime = literal(p.Runtime) ?? 'container image';
  const handler = literal(p.Handler) ?? '';
  const code = (p.Code ?? {}) as { S3Key?: unknown; ZipFile?: unknown };
  const hash = literal(code.S3Key)?.replace(/\.zip$/, '');
  const metaPath = typeof metadata['aws:asset:path'] === 'string' ? metadata['aws:asset:path'] : undefined;
  const codeDir = (hash && assets[hash]) ?? (metaPath ? join(dir, metaPath) : undefined);
  const inlineCode = literal(code.ZipFile);
  const environment: Record<string, string> = {};
  const unresolved: string[] = [];
  const vars = ((p.Environment ?? {}) as { Variables?: Record<string, unknown> }).Variables ?? {};
  for (const [name, value] of Object.entries(vars)) {
    const v =
      literal(value) ??
      (typeof value === 'number' ? String(value) : undefined) ??
      joinedConfig(name, value, stack) ??
      tableRef(value, resources) ??
      userPoolRef(value, stack);
    if (v === undefined) unresolved.push(name);
    else environment[name] = v;
  }
  const path = typeof metadata['aws:cdk:path'] === 'string' ? metadata['aws:cdk:path'] : id;
  return {
    id,
    path,
    runtime,
    handler,
    timeoutSeconds: typeof p.Timeout === 'number' ? p.Timeout : 3,
    environment,
    unresolvedEnvironment: unresolved,
    ...(codeDir ? { codeDir } : {}),
    ...(inlineCode !== undefined ? { inlineCode } : {}),
    ...(unsupportedFunction(path, runtime, handler, codeDir, inlineCode) ??
      unreadableConfig(path, environment[AUTHORIZER_CONFIG_ENV])),
  };
}

/** A Keygate authorizer's config the local gateway cannot localize (hand-edited): its routes answer 501. */
function unreadableConfig(path: string, raw: string | undefined): { unsupported?: string } {
  if (raw === undefined) return {};
  try {
    const config = JSON.parse(raw) as { issuers?: unknown; routes?: unknown };
    if (Array.isArray(config.issuers) && Array.isArray(config.routes)) return {};
  } catch {
    // reported below
  }
  return {
    unsupported: `the ${AUTHORIZER_CONFIG_ENV} of function ${path} is not a Keygate authorizer config (JSON with issuers and routes)`,
  };
}

function unsupportedFunction(
  path: string,
  runtime: string,
  handler: string,
  codeDir: string | undefined,
  inlineCode: string | undefined,
): { unsupported: string } | undefined {
  if (!NODE_RUNTIME.test(runtime)) {
    return {
      unsupported: `function ${path} runs on ${runtime}; the local gateway runs Node.js functions only`,
    };
  }
  if (!/^[\w./-]+\.[\w$]+$/.test(handler)) {
    return { unsupported: `function ${path} has no handler of the form file.export (got '${handler}')` };
  }
  if (inlineCode === undefined && (!codeDir || !existsSync(codeDir))) {
    return { unsupported: `the code asset of function ${path} is missing${codeDir ? ` (${codeDir})` : ''}` };
  }
  return undefined;
}

/** The Keygate functions' JSON configs, read when the template builds them with `Fn::Join`. */
const JOINED_CONFIGS: ReadonlySet<string> = new Set([
  AUTHORIZER_CONFIG_ENV,
  SIGN_IN_CONFIG_ENV,
  BACKCHANNEL_LOGOUT_CONFIG_ENV,
]);

/**
 * A Keygate function's JSON config (the authorizer's `KEYGATE_CONFIG`, the sign-in and back-channel logout
 * configs) when the template builds it with `Fn::Join` (it names a deployed resource, e.g. a usage tier's
 * secret, a table): the literal parts kept, each reference replaced by the stand-in `local-<logical id>` (a
 * table's by the name the local stand-in creates it under), so the JSON stays whole and the rest of the
 * config is read as deployed.
 */
function joinedConfig(name: string, value: unknown, stack: StandInContext): string | undefined {
  const { resources } = stack;
  if (!JOINED_CONFIGS.has(name)) return undefined;
  if (!value || typeof value !== 'object') return undefined;
  const join = (value as { 'Fn::Join'?: unknown })['Fn::Join'];
  if (!Array.isArray(join) || join[0] !== '' || !Array.isArray(join[1])) return undefined;
  return (join[1] as unknown[])
    .map(
      (part) =>
        literal(part) ??
        tableRef(part, resources) ??
        userPoolRef(part, stack) ??
        `local-${referencedIds(part)[0] ?? 'value'}`,
    )
    .join('');
}

/** What a reference is resolved against: the template's resources and the stack's Region. */
interface StandInContext {
  readonly resources: Resources;
  readonly region: string;
}

/**
 * A `Ref` to a Cognito user pool of the template (its id): a pool id of the form Cognito gives
 * (`<region>_<id>`, in the stack's Region), so the authorizer's config stays valid; no local issuer signs
 * for it, so tokens naming that pool are refused and every other issuer still works.
 */
function userPoolRef(value: unknown, stack: StandInContext): string | undefined {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  if (typeof ref !== 'string' || stack.resources[ref]?.Type !== 'AWS::Cognito::UserPool') return undefined;
  return `${stack.region}_local${ref.replace(/[^A-Za-z0-9]/g, '')}`;
}

/** A `Ref` to a DynamoDB table of the template: the name the local stand-in creates it under. */
function tableRef(value: unknown, resources: Resources): string | undefined {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' && isTable(resources, ref) ? localTableName(resources, ref) : undefined;
}

/** The chosen stack's template resources, for readers outside the API model (e.g. the secrets stand-in). */
export function readStackResources(assembly: string, stackName?: string): Resources {
  const dir = resolve(assembly);
  const stack = chooseStack(stackArtifacts(dir), stackName, dir);
  const template = readJson(join(dir, stack.templateFile), `the template of stack ${stack.name}`) as {
    Resources?: Resources;
  };
  return template.Resources ?? {};
}
