/**
 * `keygate local`: a synthesized app's APIs on 127.0.0.1 (see USAGE). Every failure is one line on stderr
 * and exit code 1; SIGINT and SIGTERM stop every server and every function process.
 */
import { answerHelp, parseCli } from '../cli/cli-args';
import { AssemblyError } from './assembly/assembly-model';
import { GRANTED_USER, PLAIN_USER } from './assembly/assembly-issuer';
import { isKeycloakRealmIssuer } from './assembly/jwt-authorizer-oidc';
import { serveAssembly } from './assembly/serve-assembly';
import type { ServedAssembly } from './assembly/serve-assembly';
import { stopOnSignal } from './stop-on-signal';
import { usageBannerLines } from './usage-banner';

export const USAGE = `
keygate local [options]: serves the HTTP and REST APIs of a synthesized CDK app (run \`cdk synth\` first) on
127.0.0.1 with API Gateway's authorization semantics: the app's own authorizer and Node.js functions run
from their assets; routes it cannot run answer 501 with the reason. The stack's DynamoDB tables run on a
local stand-in (install dynalite and @aws-sdk/client-dynamodb for a stack with tables). Ctrl-C stops everything.

  --app <dir>               the cloud assembly (default: cdk.out)
  --stack <name>            the stack to serve (default: the assembly's only stack)
  --issuer builtin          a built-in issuer stands in for the authorizer's Keycloak realm (default)
  --keycloak <realm URL>    trust a real Keycloak realm instead: https, e.g. https://sso.test:8443/realms/shop,
                            or http on a loopback address (a development Keycloak; its keys reach the
                            app's authorizer, which fetches over https only, through a local https front)
  --keycloak-ca <file>      PEM of the CA that signed that Keycloak's certificate (default: the system's);
                            also trusted for the OpenID Connect issuers of JWT authorizers
  --port <n>                the first API's port; the next APIs take the following ones (default: any free)
  --issuer-port <n>         the built-in issuer's port (default: any free)
  --env NAME=VALUE          set a variable in every function's environment (repeatable); values the
                            template resolves only at deploy time get the stand-in local-<NAME>
  --secret ID=VALUE         the value of the stack's Secrets Manager secret ID (its logical id; repeatable)
                            as the functions read it locally (default: generated per run as CloudFormation
                            generates it)
  --verbose                 print the functions' own output
  --help                    this text
`;

function portOf(name: string, value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new AssemblyError(`${name} must be a port number, got '${value}'`);
  return n;
}

/** `--env` (or `--secret`) values, which parseArgs cannot repeat: collected here and removed from the arguments. */
function takePairs(
  argv: string[],
  flag: '--env' | '--secret',
): { rest: string[]; env: Record<string, string> } {
  const rest: string[] = [];
  const env: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== flag) {
      rest.push(argv[i]);
      continue;
    }
    const pair = argv[++i] ?? '';
    const at = pair.indexOf('=');
    if (at <= 0)
      throw new AssemblyError(`${flag} takes ${flag === '--env' ? 'NAME' : 'ID'}=VALUE, got '${pair}'`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { rest, env };
}

export async function runKeygateLocal(argv: string[]): Promise<ServedAssembly> {
  answerHelp(argv, USAGE);
  const { rest: withoutEnv, env } = takePairs(argv, '--env');
  const { rest, env: secrets } = takePairs(withoutEnv, '--secret');
  const args = parseCli(rest, {
    app: { type: 'string' },
    stack: { type: 'string' },
    issuer: { type: 'string' },
    keycloak: { type: 'string' },
    'keycloak-ca': { type: 'string' },
    port: { type: 'string' },
    'issuer-port': { type: 'string' },
    verbose: { type: 'boolean' },
  });
  if (args.issuer !== undefined && args.issuer !== 'builtin') {
    throw new AssemblyError(`--issuer takes 'builtin' (or use --keycloak <realm URL>), got '${args.issuer}'`);
  }
  if (args.issuer && args.keycloak) throw new AssemblyError('choose one of --issuer builtin and --keycloak');
  const served = await serveAssembly({
    app: args.app ?? 'cdk.out',
    ...(args.stack ? { stack: args.stack } : {}),
    ...(args.keycloak ? { keycloak: args.keycloak } : {}),
    ...(args['keycloak-ca'] ? { keycloakCaFile: args['keycloak-ca'] } : {}),
    gatewayPort: portOf('--port', args.port),
    issuerPort: portOf('--issuer-port', args['issuer-port']),
    environment: env,
    secrets,
    verbose: args.verbose === true,
    onRequest: (api, r) =>
      console.log(
        `${new Date().toISOString()}  ${api.name} ${r.method} ${r.path} -> ${r.status}  ${r.reason}${r.cacheHit ? ' [cached]' : ''}`,
      ),
  });
  console.log(banner(served));
  return served;
}

export function banner(served: ServedAssembly): string {
  const lines = ['', `Keygate local — stack ${served.stack.name}, region ${served.stack.region}`, ''];
  for (const { api, url } of served.apis) {
    const ttl =
      api.authorizers.length > 1
        ? `${api.authorizers.length} authorizers, caches ${api.authorizers.map((a) => `${a.cacheTtlSeconds} s`).join(' / ')}`
        : api.authorizer
          ? `authorizer cache ${api.authorizer.cacheTtlSeconds} s`
          : 'no Lambda authorizer';
    lines.push(`  ${api.kind === 'http' ? 'HTTP API' : 'REST API'} ${api.name}  ${url}  (${ttl})`);
    for (const a of api.authorizers) {
      if (a.jwt && !isKeycloakRealmIssuer(a.jwt.issuer))
        lines.push(`    JWT issuer ${a.jwt.issuer}, as deployed (keys from its discovery document)`);
    }
    for (const r of api.routes) {
      lines.push(
        `    ${`${r.method} ${r.path}`.padEnd(40)} ${r.unsupported ? `501: ${r.unsupported}` : r.auth}`,
      );
    }
  }
  const issuer = served.issuer;
  if (served.issuerUrl) lines.push('', `  issuer   ${served.issuerUrl}${issuer ? ' (built-in)' : ''}`);
  if (issuer) {
    for (const user of [GRANTED_USER, PLAIN_USER]) {
      lines.push(`           user ${user.padEnd(8)} password ${issuer.passwords[user]}`);
    }
    lines.push(
      `           token endpoint ${issuer.urls.token} (password grant, client ${[...issuer.realm.clients.keys()][1] ?? ''})`,
    );
  }
  lines.push(...tableLines(served.tables));
  const m = served.iam.machine;
  lines.push(
    '',
    `  IAM test credentials (SigV4), every IAM route: access key ${m.accessKeyId}  secret ${m.secretAccessKey}`,
  );
  for (const [role, c] of Object.entries(served.iam.roles)) {
    lines.push(
      `  role ${role} (its execute-api:Invoke grants): access key ${c.accessKeyId}  secret ${c.secretAccessKey}`,
    );
    const apiKey = served.usage.keyForRole(role);
    if (apiKey) lines.push(`       and sends X-API-Key: ${apiKey}`);
  }
  lines.push(...usageBannerLines(served.usage).map((l) => `  ${l}`));
  for (const other of served.issuers.slice(1)) {
    lines.push(`  issuer   ${other.issuer} (built-in, another trusted realm)`);
    for (const user of [GRANTED_USER, PLAIN_USER]) {
      lines.push(`           user ${user.padEnd(8)} password ${other.passwords[user]}`);
    }
  }
  lines.push('', 'Requests are logged below. Ctrl-C stops everything.', '');
  return lines.join('\n');
}

/** The DynamoDB stand-in's endpoint and tables, and each table it could not create with why. */
function tableLines(tables: ServedAssembly['tables']): string[] {
  const lines = tables.endpoint
    ? [
        '',
        `  DynamoDB ${tables.endpoint} (local stand-in): ${tables.tables.map((t) => t.tableName).join(', ')}`,
      ]
    : [];
  return [...lines, ...tables.unsupported.map((u) => `  ${u.reason}`)];
}

/** One line for what the user can fix; a stack trace only for a defect. */
export function describeFailure(e: unknown): string {
  const err = e as { code?: string; port?: number; message?: string };
  if (err?.code === 'EADDRINUSE')
    return `port ${err.port ?? ''} on 127.0.0.1 is in use: choose another with --port / --issuer-port (0 = any)`;
  if (e instanceof AssemblyError || err?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return err.message ?? String(e);
  return e instanceof Error ? (e.message.split('\n')[0] ?? String(e)) : String(e);
}

/** Runs the command; stops everything on SIGINT / SIGTERM. */
export function main(argv: string[]): void {
  runKeygateLocal(argv).then(
    (served) => stopOnSignal(() => served.close()),
    (e: unknown) => {
      console.error(`keygate local: ${describeFailure(e)}`);
      process.exit(1);
    },
  );
}
