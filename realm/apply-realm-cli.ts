/**
 * `npm run realm:apply -- --stage dev --url https://sso.example.com --admin-user admin
 *  --admin-password-env KC_ADMIN_PASSWORD [--test-users [--password-env VAR]] [--direct-grants]
 *  [--prune] [--reset-passwords] [--dry-run] [--admin-realm master] [--admin-client admin-cli]
 *  [--config file.json]`
 *
 * Brings a running Keycloak in line with the realm definition of a stage and prints what it changed.
 * The admin password is read from the named environment variable, never from the command line.
 */
import { randomBytes } from 'node:crypto';
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type { ApplyResult } from './apply-realm';
import { applyRealm, formatSummary } from './apply-realm';
import { answerHelp, parseCli } from '../cli/cli-args';
import { buildRealm } from './realm-definition';
import { loadStage } from '../cli/stage';

export interface AdminConnection {
  /** Keycloak's base URL, e.g. `https://sso.example.com` (without `/realms/...`). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** @default 'master' */
  readonly adminRealm?: string;
  /** @default 'admin-cli' */
  readonly clientId?: string;
}

/**
 * An admin client signed in to the admin realm. Tokens come from a separate client that stays on the
 * admin realm, so refreshing them keeps working while the returned client addresses another realm.
 */
export async function connectAdmin(conn: AdminConnection): Promise<KeycloakAdminClient> {
  // The admin client is ESM-only: load it with import(), which works from CommonJS too.
  const { default: KcAdminClient } = await import('@keycloak/keycloak-admin-client');
  const adminRealm = conn.adminRealm ?? 'master';
  const auth = new KcAdminClient({ baseUrl: conn.url, realmName: adminRealm });
  await auth.auth({
    grantType: 'password',
    clientId: conn.clientId ?? 'admin-cli',
    username: conn.username,
    password: conn.password,
  });
  const kc = new KcAdminClient({ baseUrl: conn.url, realmName: adminRealm });
  kc.registerTokenProvider({ getAccessToken: () => auth.getAccessToken() });
  return kc;
}

export interface ApplyCliResult {
  readonly result: ApplyResult;
  readonly summary: string;
  /** Lines for stderr (generated passwords of users this run created). */
  readonly notes: readonly string[];
}

export async function runApply(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ApplyCliResult> {
  const args = parseCli(argv, {
    stage: { type: 'string' },
    config: { type: 'string' },
    url: { type: 'string' },
    'admin-user': { type: 'string' },
    'admin-password-env': { type: 'string' },
    'admin-realm': { type: 'string' },
    'admin-client': { type: 'string' },
    'test-users': { type: 'boolean' },
    'password-env': { type: 'string' },
    'direct-grants': { type: 'boolean' },
    prune: { type: 'boolean' },
    'reset-passwords': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  });
  if (!args.url || !/^https?:\/\/[^\s/]+/.test(args.url))
    throw new Error('--url must be the Keycloak base URL (http or https)');
  if (!args['admin-user']) throw new Error('--admin-user is required');
  const pwVar = args['admin-password-env'];
  if (!pwVar)
    throw new Error('--admin-password-env must name the environment variable holding the admin password');
  const adminPassword = env[pwVar];
  if (!adminPassword) throw new Error(`--admin-password-env: environment variable ${pwVar} is not set`);

  const { stage } = loadStage(args);
  let passwords: Record<string, string> | undefined;
  const generated = new Set<string>();
  if (args['test-users']) {
    const fromVar = args['password-env'];
    const fromEnv = fromVar ? env[fromVar] : undefined;
    if (fromVar && !fromEnv) throw new Error(`--password-env: environment variable ${fromVar} is not set`);
    passwords = {};
    for (const u of stage.keycloak.testUsers ?? []) {
      passwords[u.username] = fromEnv ?? randomBytes(18).toString('base64url');
      if (!fromEnv) generated.add(u.username);
    }
  }
  const desired = buildRealm(stage, {
    includeTestUsers: args['test-users'] ?? false,
    testUserPasswords: passwords,
    directAccessGrants: args['direct-grants'] ?? false,
  });
  const url = args.url.replace(/\/+$/, '');
  let kc: KeycloakAdminClient;
  try {
    kc = await connectAdmin({
      url,
      username: args['admin-user'],
      password: adminPassword,
      adminRealm: args['admin-realm'],
      clientId: args['admin-client'],
    });
  } catch (e) {
    throw new Error(`admin sign-in to ${url} as ${args['admin-user']} failed: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const dryRun = args['dry-run'] ?? false;
  const result = await applyRealm(kc, desired, {
    prune: args.prune,
    resetPasswords: args['reset-passwords'],
    dryRun,
  });
  const notes = result.changes
    .filter((c) => c.kind === 'user' && c.action === 'create' && generated.has(c.name))
    .map((c) => `generated password for test user ${c.name}: ${passwords![c.name]}`);
  if (!dryRun) return { result, summary: formatSummary(result), notes };
  const counts = /^(\d+) created, (\d+) updated, (\d+) deleted/m;
  return {
    result,
    summary: `dry run: nothing was changed\n${formatSummary(result).replace(counts, 'would create $1, update $2, delete $3')}`,
    notes: [],
  };
}

const USAGE = `
npm run realm:apply -- --url <Keycloak base URL> --admin-user <name> --admin-password-env <VAR> [options]:
brings a running Keycloak in line with the stage's realm definition and prints what it changed.

  --url <url>               Keycloak's base URL, e.g. https://sso.example.com (without /realms/...)
  --admin-user <name>       an admin of the admin realm
  --admin-password-env <VAR>  environment variable holding that admin's password (never on the command line)
  --admin-realm <name>      the admin realm (default: master)
  --admin-client <id>       the admin client (default: admin-cli)
  --stage <name>            stage of the app config (default: its defaultStage, else dev)
  --config <file>           app config JSON (default: the keygate context of ./cdk.json, else the built-in one)
  --test-users              create the stage's test users too
  --password-env <VAR>      their password, from this environment variable (default: generated, printed to stderr)
  --direct-grants           let the people client use the password grant
  --prune                   delete managed roles, mappers and role mappings the definition does not list
  --reset-passwords         set test users' passwords even when they exist
  --dry-run                 report what would change, change nothing
  --help                    this text
`;

async function main(): Promise<void> {
  answerHelp(process.argv.slice(2), USAGE);
  try {
    const { summary, notes } = await runApply(process.argv.slice(2));
    for (const n of notes) console.error(n);
    console.log(summary);
  } catch (e) {
    // Admin-client errors carry the HTTP status and Keycloak's message, not credentials.
    console.error(`realm:apply: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
