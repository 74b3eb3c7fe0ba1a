/**
 * The local stack in front of a real Keycloak: the realm URL given on the command line, the admin
 * connection that provisions it (the same admin API path as `npm run realm:apply`), and the secrets read
 * back (Keycloak generates service-account secrets: they are never in the realm definition).
 */
import { randomBytes } from 'node:crypto';
import type { StageConfig } from '../common/app-config';
import { KEYCLOAK_VERSION, startKeycloak } from '../scripts/keycloak';
import { applyRealm, formatSummary } from '../realm/apply-realm';
import { connectAdmin } from '../realm/apply-realm-cli';
import type { AdminConnection } from '../realm/apply-realm-cli';
import { realmNameFromIssuer } from '../realm/realm-definition';
import type { RealmRepresentation } from './issuer';
import type { KeycloakRealmOptions, RealmSecrets } from './stack-issuer';
import { assertLoopbackOrHttps } from './http/loopback-transport';

/** Keycloak's base URL and realm name of a realm URL (`<base>/realms/<name>`, or `<base>/auth/realms/<name>`). */
export function splitRealmUrl(realmUrl: string): { baseUrl: string; realm: string } {
  const url = realmUrl.replace(/\/+$/, '');
  assertLoopbackOrHttps(url, '--keycloak');
  const realm = realmNameFromIssuer(url);
  return { baseUrl: url.slice(0, url.lastIndexOf('/realms/')), realm };
}

/** The realm URL of the stage's realm on a Keycloak at `baseUrl`. */
export function stageRealmUrl(baseUrl: string, stage: StageConfig): string {
  return `${baseUrl.replace(/\/+$/, '')}/realms/${realmNameFromIssuer(stage.keycloak.issuer)}`;
}

/** A password per test user: `fixed` for all, else a random one per run. */
export function testUserPasswords(stage: StageConfig, fixed?: string): Record<string, string> {
  return Object.fromEntries(
    (stage.keycloak.testUsers ?? []).map((u) => [u.username, fixed ?? randomBytes(12).toString('base64url')]),
  );
}

/**
 * Provisions the realm the local stack built through the admin API (created or updated, test-user
 * passwords set) and reads back the test users' passwords and the service accounts' secrets.
 */
export function provisionThroughAdmin(
  admin: AdminConnection,
  log: (line: string) => void = () => {},
): (realm: RealmRepresentation) => Promise<RealmSecrets> {
  return async (realm) => {
    const kc = await connectAdmin(admin);
    const result = await applyRealm(kc, realm, { resetPasswords: true });
    log(formatSummary(result));
    const passwords: Record<string, string> = {};
    for (const u of realm.users ?? []) {
      const value = u.credentials?.find((c) => c.type === 'password')?.value;
      if (u.username && value) passwords[u.username] = value;
    }
    const clientSecrets: Record<string, string> = {};
    for (const c of realm.clients ?? []) {
      if (!c.clientId || !c.serviceAccountsEnabled) continue;
      const [found] = await kc.clients.find({ clientId: c.clientId });
      if (!found?.id) continue;
      const secret = await kc.clients.getClientSecret({ id: found.id });
      if (secret.value) clientSecrets[c.clientId] = secret.value;
    }
    return { passwords, clientSecrets };
  };
}

/** `--admin-user` and `--admin-password-env` (the password is read from the environment, never the command line). */
export function adminFromArgs(
  user: string | undefined,
  passwordEnv: string | undefined,
): { username: string; password: string } | undefined {
  if (user === undefined && passwordEnv === undefined) return undefined;
  if (!user || !passwordEnv) throw new Error('--admin-user and --admin-password-env go together');
  const password = process.env[passwordEnv];
  if (!password) throw new Error(`--admin-password-env: environment variable ${passwordEnv} is not set`);
  return { username: user, password };
}

export interface KeycloakTarget {
  /** `--keycloak`: a realm URL, or `local` for the project's Keycloak fixture. */
  readonly target: string;
  readonly stage: StageConfig;
  /** Admin user and password that may provision a realm given by URL. @default - the realm is used as it is */
  readonly admin?: { readonly username: string; readonly password: string };
  /** One password for every test user (`KEYGATE_TEST_PASSWORD`). @default - random per run when provisioning */
  readonly testPassword?: string;
  /**
   * The first service account's secret, for a realm used as it is (`KEYGATE_CLIENT_SECRET`): the printed
   * commands then carry it, as they carry `testPassword`, and run as printed.
   * @default - not known: the printed commands read it from the shell variable
   */
  readonly clientSecret?: string;
  readonly log?: (line: string) => void;
}

export interface OpenedKeycloak {
  readonly options: KeycloakRealmOptions;
  /** Test-user passwords the stack's realm definition carries (provisioned realms only). */
  readonly passwords?: Readonly<Record<string, string>>;
  /** One line for the banner: which Keycloak, and what the stack did to it. */
  readonly description: string;
  close(): Promise<void>;
}

/** Resolves `--keycloak` into the stack's realm options (starting the fixture for `local`). */
export async function openKeycloak(t: KeycloakTarget): Promise<OpenedKeycloak> {
  if (t.target === 'local') return openFixture(t);
  const realmUrl = t.target.replace(/\/+$/, '');
  const { baseUrl, realm } = splitRealmUrl(realmUrl);
  if (t.admin) {
    const passwords = testUserPasswords(t.stage, t.testPassword);
    return {
      options: {
        realmUrl,
        provision: provisionThroughAdmin({ url: baseUrl, ...t.admin }, t.log),
      },
      passwords,
      description: `realm '${realm}' brought in line with the stage's realm definition (admin ${t.admin.username})`,
      close: async () => {},
    };
  }
  const passwords = t.testPassword ? testUserPasswords(t.stage, t.testPassword) : {};
  const firstSa = t.stage.keycloak.serviceAccounts?.[0]?.clientId;
  const clientSecrets = t.clientSecret && firstSa ? { [firstSa]: t.clientSecret } : {};
  return {
    options: { realmUrl, secrets: { passwords, clientSecrets } },
    description: `realm '${realm}' used as it is (redirect URIs, test users and secrets are yours to set up)`,
    close: async () => {},
  };
}

/** `--keycloak local`: the project's Keycloak fixture, stopped with the stack, the stage's realm provisioned. */
async function openFixture(t: KeycloakTarget): Promise<OpenedKeycloak> {
  const server = await startKeycloak({ log: t.log });
  return {
    options: {
      realmUrl: stageRealmUrl(server.url, t.stage),
      provision: provisionThroughAdmin({ url: server.url, ...server.admin }, t.log),
    },
    passwords: testUserPasswords(t.stage, t.testPassword),
    description: `Keycloak ${KEYCLOAK_VERSION} (scripts/keycloak.ts) at ${server.url}, admin ${server.admin.username} / ${server.admin.password}; stopped with the stack`,
    close: () => server.stop(),
  };
}

/**
 * openKeycloak for a command line: a Ctrl-C while the fixture starts stops it as soon as it is up, instead
 * of leaving its JVM (a process group of its own) running after the command has gone.
 */
export async function openKeycloakForCli(t: KeycloakTarget): Promise<OpenedKeycloak> {
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    console.error('stopping Keycloak as soon as it has started');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const opened = await openKeycloak(t);
    if (interrupted) {
      await opened.close();
      process.exit(130);
    }
    return opened;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
