/**
 * `npm start`: the repository's own app as `keygate local` serves any app — the chosen stage synthesized
 * into a cloud assembly (local/synth-app.ts), its APIs, authorizer and model backend run from that
 * assembly — with the stage's realm (its test users and service accounts) in the built-in issuer, then the
 * URLs and ready-to-run commands. See USAGE.
 */
import { answerHelp, parseCli } from '../cli/cli-args';
import { loadAppConfig, loadStage } from '../cli/stage';
import { describeFailure } from './keygate-cli';
import { keycloakFromArgs } from './cli-keycloak';
import type { OpenedKeycloak } from './keycloak-realm';
import { freeConsecutivePorts } from './free-ports';
import { startBanner } from './start-banner';
import { passwordsOf, realmSecrets } from './stage-assembly';
import { serveStage } from './serve-stage';
import type { ServeStageOptions, ServedStage } from './serve-stage';
import { stopOnSignal } from './stop-on-signal';

const USAGE = `
npm start [-- options]: the app of this repository, synthesized for a stage and served the way
\`keygate local\` serves any app: its HTTP and REST APIs on 127.0.0.1 in front of its own authorizer and
model backend (run from the assembly), a built-in issuer serving the stage's realm. Then the URLs and
ready-to-run commands. Ctrl-C stops everything.

  --stage <name>            stage of the app config (default: its defaultStage, else dev)
  --config <file>           app config JSON (default: the keygate context of ./cdk.json, else the built-in one)
  --api http|rest           serve only that API (default: every API the stage deploys)
  --sign-in                 browser sign-in: the app's sign-in function on /auth/login, /auth/callback,
                            /auth/refresh, /auth/logout (the stage's browserSignIn, on if the stage has none)
  --keycloak <realm URL>    trust a real Keycloak realm instead of the built-in issuer: https, e.g.
                            https://sso.test/realms/keygate, or http on a loopback address (a development
                            Keycloak: its keys reach the app's authorizer through a local https front)
  --keycloak local          start the project's Keycloak fixture, provision the stage's realm, use it
  --keycloak-ca <file>      PEM of the CA that signed that Keycloak's certificate (default: the system's)
  --admin-user <name>       with --keycloak <realm URL>: provision the realm through the admin API first
  --admin-password-env <VAR>  environment variable holding that admin's password
  --verbose                 print the functions' own output (their JSON log lines)
  --help                    this text

Environment: KEYGATE_ISSUER_PORT (default 8443), KEYGATE_GATEWAY_PORT (default 8080: the first API; the
next API takes the next port), KEYGATE_TEST_PASSWORD (one password for every test user), KEYGATE_CLIENT_SECRET
(with --keycloak used as it is: the first service account's secret), KEYGATE_LOCAL_ACCESS_KEY_ID +
KEYGATE_LOCAL_SECRET_ACCESS_KEY (the IAM test credentials). Otherwise they are made for this run only.
The functions' Secrets Manager secrets (cookie keys, usage tier keys) are generated for the run and served
by a local stand-in of the Parameters and Secrets extension (docs/local-stack.md).
`;

function port(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${name} must be a port number (0-65535), got '${v}'`);
  return n;
}

function parseStartArgs(argv: string[]) {
  const args = parseCli(argv, {
    stage: { type: 'string' },
    config: { type: 'string' },
    api: { type: 'string' },
    verbose: { type: 'boolean' },
    'sign-in': { type: 'boolean' },
    keycloak: { type: 'string' },
    'keycloak-ca': { type: 'string' },
    'admin-user': { type: 'string' },
    'admin-password-env': { type: 'string' },
  });
  if (args.api !== undefined && args.api !== 'http' && args.api !== 'rest') {
    throw new Error(`--api must be 'http' or 'rest', got '${args.api}'`);
  }
  if (args['sign-in'] && args.keycloak !== undefined && !args.keycloak.startsWith('https://')) {
    // The app's sign-in function takes an https issuer only (common/sign-in-config.ts).
    throw new Error(
      `--sign-in takes an https realm: the app's sign-in function speaks https to Keycloak only, got --keycloak ${args.keycloak}`,
    );
  }
  return args;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  answerHelp(argv, USAGE);
  const args = parseStartArgs(argv);
  const { name, stage } = loadStage(args);
  const keyId = process.env.KEYGATE_LOCAL_ACCESS_KEY_ID;
  const secret = process.env.KEYGATE_LOCAL_SECRET_ACCESS_KEY;
  if ((keyId === undefined) !== (secret === undefined)) {
    throw new Error('set both KEYGATE_LOCAL_ACCESS_KEY_ID and KEYGATE_LOCAL_SECRET_ACCESS_KEY, or neither');
  }
  const signIn = args['sign-in'] === true;
  const password = process.env.KEYGATE_TEST_PASSWORD;
  // Sign-in: the realm names the gateways' callback URLs, so their ports are known before they listen.
  const gatewayPort = port('KEYGATE_GATEWAY_PORT', 8080) || (signIn ? await freeConsecutivePorts(2) : 0);
  const signInUrls = signIn ? [0, 1].map((i) => `http://127.0.0.1:${gatewayPort + i}`) : undefined;
  const keycloak = await keycloakFromArgs(args, stage, password);
  const served = await serveOrStop(keycloak, {
    stage,
    name,
    config: loadAppConfig(args.config).config,
    signIn,
    ...(signInUrls ? { signInUrls } : {}),
    ...(args.api ? { apiKinds: [args.api as 'http' | 'rest'] } : {}),
    ...(keycloak ? { keycloak: keycloak.options.realmUrl } : {}),
    ...(args['keycloak-ca'] ? { keycloakCaFile: args['keycloak-ca'] } : {}),
    ...(password ? { passwords: passwordsOf(stage, password) } : {}),
    issuerPort: port('KEYGATE_ISSUER_PORT', 8443),
    gatewayPort,
    ...(keyId && secret ? { machineCredential: { accessKeyId: keyId, secretAccessKey: secret } } : {}),
    verbose: args.verbose === true,
    onRequest: (api, r) =>
      console.log(
        `${new Date().toISOString()}  ${api.kind.toUpperCase()} ${r.method} ${r.path} -> ${r.status}  ${r.reason}${r.authorizerReason ? ` (authorizer: ${r.authorizerReason})` : ''}${r.cacheHit ? ' [cached]' : ''}  ${r.durationMs} ms`,
      ),
  });
  const secrets = await realmSecrets(keycloak, stage, password, signInUrls);
  console.log(startBanner({ name, stage, served, keycloak, secrets, signIn }));
  stopOnSignal(async () => {
    await served.close();
    await keycloak?.close();
  });
}

/** Serves the assembly; a Keycloak fixture started for it is stopped again if that fails. */
async function serveOrStop(
  keycloak: OpenedKeycloak | undefined,
  options: ServeStageOptions,
): Promise<ServedStage> {
  try {
    return await serveStage(options);
  } catch (e) {
    await keycloak?.close();
    throw e;
  }
}

main().catch((e: unknown) => {
  console.error(`npm start: ${describeFailure(e)}`);
  process.exit(1);
});
