/**
 * `npm start`: the whole stack on 127.0.0.1 — the local issuer or a real Keycloak realm, the gateway with
 * the real authorizer and backend — then the URLs and ready-to-run commands. See USAGE.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerHelp, parseCli } from '../cli/cli-args';
import { loadStage } from '../cli/stage';
import { startLocalStack } from './gateway/local-stack';
import type { LocalStack, StackIssuer } from './gateway/local-stack';
import type { ApiType } from './gateway/api-events';
import { keycloakFromArgs } from './cli-keycloak';
import type { OpenedKeycloak } from './keycloak-realm';
import { readyCommands, variablesToSet } from './ready-commands';
import { credentialLines } from './start-banner';
import { stopOnSignal } from './stop-on-signal';
import { BACKCHANNEL_LOGOUT_PATH } from '../common/back-channel-logout';

const USAGE = `
npm start [-- options]: the stack on 127.0.0.1 (issuer, gateway with the real authorizer and backend),
then the URLs and ready-to-run commands. Ctrl-C stops everything.

  --stage <name>            stage of the app config (default: its defaultStage, else dev)
  --config <file>           app config JSON (default: the keygate context of ./cdk.json, else the built-in one)
  --api http|rest           API Gateway flavour to emulate (default: http)
  --sign-in                 browser sign-in routes (/auth/login, /auth/callback, /auth/logout, /auth/refresh)
  --keycloak <realm URL>    trust a real Keycloak realm instead of the built-in issuer, e.g.
                            http://127.0.0.1:8080/realms/keygate (http only on a loopback address)
  --keycloak local          start the project's Keycloak fixture, provision the stage's realm, use it
  --admin-user <name>       with --keycloak <realm URL>: provision the realm through the admin API
  --admin-password-env <VAR>  environment variable holding that admin's password
  --verbose                 print the authorizer's and the backend's JSON log lines
  --help                    this text

Environment: KEYGATE_ISSUER_PORT (default 8443), KEYGATE_GATEWAY_PORT (default 8080), KEYGATE_TEST_PASSWORD
(one password for every test user), KEYGATE_CLIENT_SECRET (with --keycloak <realm URL> used as it is: the
first service account's secret), KEYGATE_LOCAL_ACCESS_KEY_ID + KEYGATE_LOCAL_SECRET_ACCESS_KEY (the IAM
test credentials). Otherwise passwords, client secrets and IAM test keys are made for this run only.
`;

function port(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name} must be a port number (0-65535), got '${v}'`);
  return n;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  answerHelp(argv, USAGE);
  const args = parseCli(argv, {
    stage: { type: 'string' },
    config: { type: 'string' },
    api: { type: 'string' },
    verbose: { type: 'boolean' },
    'sign-in': { type: 'boolean' },
    keycloak: { type: 'string' },
    'admin-user': { type: 'string' },
    'admin-password-env': { type: 'string' },
  });
  const api = (args.api ?? 'http') as ApiType;
  if (api !== 'http' && api !== 'rest') throw new Error(`--api must be 'http' or 'rest', got '${args.api}'`);
  const { name, stage } = loadStage(args);
  const password = process.env.KEYGATE_TEST_PASSWORD;
  const keyId = process.env.KEYGATE_LOCAL_ACCESS_KEY_ID;
  const secret = process.env.KEYGATE_LOCAL_SECRET_ACCESS_KEY;
  if ((keyId === undefined) !== (secret === undefined)) {
    throw new Error('set both KEYGATE_LOCAL_ACCESS_KEY_ID and KEYGATE_LOCAL_SECRET_ACCESS_KEY, or neither');
  }
  const keycloak = await keycloakFromArgs(args, stage, password);

  const stack = await startLocalStackOrStop(keycloak, {
    stage,
    ...(keycloak ? { keycloak: keycloak.options } : {}),
    apiType: api,
    issuerPort: port('KEYGATE_ISSUER_PORT', 8443),
    gatewayPort: port('KEYGATE_GATEWAY_PORT', 8080),
    passwords:
      keycloak?.passwords ??
      (password
        ? Object.fromEntries((stage.keycloak.testUsers ?? []).map((u) => [u.username, password]))
        : undefined),
    machineCredential: keyId && secret ? { accessKeyId: keyId, secretAccessKey: secret } : undefined,
    verboseLogs: args.verbose === true,
    signIn: args['sign-in'] === true,
    onRequest: (r) => {
      const why = r.authorizerReason ? `${r.reason} (authorizer: ${r.authorizerReason})` : r.reason;
      const cached = r.cacheHit ? ' [cached]' : '';
      console.log(
        `${new Date().toISOString()}  ${r.method} ${r.path} -> ${r.status}  ${why}${cached}  ${r.durationMs} ms`,
      );
    },
  });

  let caFile: string | undefined;
  if (stack.issuer.ca) {
    caFile = join(mkdtempSync(join(tmpdir(), 'keygate-local-')), 'issuer-ca.pem');
    writeFileSync(caFile, stack.issuer.ca, { mode: 0o644 });
  }
  console.log(banner(name, api, stack, keycloak, caFile, args['sign-in'] === true));

  stopOnSignal(async () => {
    await stack.close();
    await keycloak?.close();
  });
}

/** Starts the stack; a Keycloak fixture started for it is stopped again if the stack fails to start. */
async function startLocalStackOrStop(
  keycloak: OpenedKeycloak | undefined,
  options: Parameters<typeof startLocalStack>[0],
): Promise<LocalStack<StackIssuer>> {
  try {
    return await startLocalStack(options);
  } catch (e) {
    await keycloak?.close();
    throw e;
  }
}

function banner(
  name: string,
  api: ApiType,
  stack: LocalStack<StackIssuer>,
  keycloak: OpenedKeycloak | undefined,
  caFile: string | undefined,
  signIn: boolean,
): string {
  const { issuer, gateway, iam, stage } = stack;
  const kc = stage.keycloak;
  const groups = readyCommands({ stack, caFile, signIn });
  const toSet = variablesToSet(groups);
  return [
    '',
    `Keygate local stack — stage '${name}', ${api === 'http' ? 'HTTP API (payload 2.0)' : 'REST API'}, authorizer cache ${gateway.cache.enabled ? `${stage.authorizer?.cacheTtlSeconds ?? 300} s` : 'off'}`,
    '',
    `  ${keycloak ? 'keycloak' : 'issuer  '} ${issuer.issuer}`,
    ...(keycloak ? [`           ${keycloak.description}`] : []),
    `           discovery ${issuer.urls.discovery}`,
    ...(caFile ? [`           CA to trust: ${caFile}`] : []),
    `  gateway  ${gateway.url}`,
    ...(stack.revocationStore
      ? [
          `           back-channel logout ${gateway.url}${BACKCHANNEL_LOGOUT_PATH} (revocation list in memory)`,
        ]
      : []),
    '',
    ...credentialLines(kc, issuer),
    `IAM test credentials (SigV4, service execute-api, region ${stack.region}):`,
    `  ${iam.machine.callerArn}   may call: ${iam.machine.routes.join(', ') || 'nothing'}`,
    `  access key ${iam.machine.accessKeyId}   secret ${iam.machine.secretAccessKey}`,
    '',
    'Try it:',
    ...(toSet.length
      ? [
          `  # first set ${toSet.join(' and ')} (values from your realm), or start with them set: the commands then carry them`,
        ]
      : []),
    ...groups.flatMap((g) => [`  # ${g.title}`, ...g.lines.map((l) => `  ${l}`)]),
    '',
    'Requests are logged below. Ctrl-C stops everything.',
    '',
  ].join('\n');
}

main().catch((e: unknown) => {
  if ((e as { code?: string })?.code === 'EADDRINUSE') {
    const port = (e as { port?: number }).port;
    console.error(
      `port ${port ?? ''} on 127.0.0.1 is in use: set KEYGATE_ISSUER_PORT / KEYGATE_GATEWAY_PORT to free ports (0 = any)`,
    );
  } else {
    console.error(e instanceof Error ? e.message : String(e));
  }
  process.exit(1);
});
