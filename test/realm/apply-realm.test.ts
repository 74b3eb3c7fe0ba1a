import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { applyRealm, formatSummary, matches } from '../../realm/apply-realm';
import { connectAdmin, runApply } from '../../realm/apply-realm-cli';
import { buildRealm } from '../../realm/realm-definition';
import type { FakeKeycloak, FakeRealm } from './fake-keycloak-admin';
import { startFakeKeycloak } from './fake-keycloak-admin';

const dev = DEFAULT_APP_CONFIG.stages.dev;
let dir: string;
let configFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keygate-apply-'));
  configFile = join(dir, 'keygate.json');
  writeFileSync(configFile, JSON.stringify(DEFAULT_APP_CONFIG));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENV = { KC_ADMIN_PASSWORD: 'admin-pw', TEST_USER_PASSWORD: 'Test-pw-1' };
const argv = (url: string, ...extra: string[]) => [
  '--config',
  configFile,
  '--stage',
  'dev',
  '--url',
  url,
  '--admin-user',
  'admin',
  '--admin-password-env',
  'KC_ADMIN_PASSWORD',
  '--test-users',
  '--password-env',
  'TEST_USER_PASSWORD',
  ...extra,
];

function clientByClientId(realm: FakeRealm, clientId: string) {
  const c = [...realm.clients.values()].find((x) => x.rep.clientId === clientId);
  if (!c) throw new Error(`no client ${clientId}`);
  return c;
}
function userByName(realm: FakeRealm, username: string) {
  const u = [...realm.users.values()].find((x) => x.rep.username === username);
  if (!u) throw new Error(`no user ${username}`);
  return u;
}
const realmRoleNames = (realm: FakeRealm, ids: Set<string>) =>
  [...realm.roles.values()]
    .filter((r) => ids.has(r.id))
    .map((r) => r.name)
    .sort();

describe('realm:apply against a Keycloak admin API', () => {
  let kc: FakeKeycloak;
  afterEach(async () => {
    expect(kc.unhandled).toEqual([]);
    await kc.close();
  });

  it('creates the whole realm on the first run, and a second run writes nothing', async () => {
    kc = await startFakeKeycloak();
    // WHEN applied to an empty Keycloak
    const first = await runApply(argv(kc.url), ENV);
    const writesAfterFirst = kc.writes().length;
    // THEN the realm holds what the definition says
    const realm = kc.realms.get('keygate')!;
    expect(realm.rep).toMatchObject({ realm: 'keygate', enabled: true, sslRequired: 'external' });
    expect([...realm.roles.keys()].sort()).toEqual([
      'default-roles-keygate',
      'model-user',
      'model:keywords:invoke',
      'model:sentiment:invoke',
      'offline_access',
      'uma_authorization',
    ]);
    const api = clientByClientId(realm, 'keygate-api');
    expect([...api.roles.keys()].sort()).toEqual([
      'model-user',
      'model:keywords:invoke',
      'model:sentiment:invoke',
    ]);
    const web = clientByClientId(realm, 'keygate-web');
    expect(web.rep).toMatchObject({
      publicClient: true,
      standardFlowEnabled: true,
      directAccessGrantsEnabled: false,
      redirectUris: ['http://localhost:5173/*'],
      attributes: { 'pkce.code.challenge.method': 'S256' },
    });
    expect([...web.mappers.values()].map((m) => [m.name, m.protocolMapper])).toEqual([
      ['keygate-api-audience', 'oidc-audience-mapper'],
      ['amr', 'oidc-amr-mapper'],
    ]);
    // The stage's step-up: the ACR-to-LoA map, the level flow bound as the browser flow, level configs.
    expect(realm.rep).toMatchObject({
      attributes: { 'acr.loa.map': '{"1":1,"2":2}' },
      browserFlow: 'keygate step-up',
    });
    const flowShape = (alias: string) =>
      realm.flows.get(alias)?.executions.map((e) => [e.providerId ?? e.displayName, e.requirement]);
    expect(flowShape('keygate step-up')).toEqual([
      ['auth-cookie', 'ALTERNATIVE'],
      ['identity-provider-redirector', 'ALTERNATIVE'],
      ['keygate step-up forms', 'ALTERNATIVE'],
    ]);
    expect(flowShape('keygate step-up forms')).toEqual([
      ['keygate step-up level 1', 'CONDITIONAL'],
      ['keygate step-up level 2', 'CONDITIONAL'],
    ]);
    expect(flowShape('keygate step-up level 2')).toEqual([
      ['conditional-level-of-authentication', 'REQUIRED'],
      ['auth-otp-form', 'REQUIRED'],
    ]);
    const level2 = realm.flows.get('keygate step-up level 2')!.executions;
    expect(level2.map((e) => realm.authenticatorConfigs.get(e.id)?.config)).toEqual([
      { 'loa-condition-level': '2', 'loa-max-age': '36000' },
      { 'default.reference.value': 'otp', 'default.reference.maxAge': '36000' },
    ]);
    expect(realm.authenticatorConfigs.size).toBe(4);
    const sa = userByName(realm, 'service-account-batch-scorer');
    expect(
      [...api.roles.values()]
        .filter((r) => sa.clientRoles.get(api.rep.id)?.has(r.id))
        .map((r) => r.name)
        .sort(),
    ).toEqual(['model-user', 'model:sentiment:invoke']);
    const alice = userByName(realm, 'alice');
    expect(realmRoleNames(realm, alice.realmRoles)).toEqual([
      'default-roles-keygate',
      'model-user',
      'model:keywords:invoke',
      'model:sentiment:invoke',
    ]);
    expect(alice.password).toBe('Test-pw-1');
    expect(first.summary.split('\n').at(-1)).toMatch(/^\d+ created, 0 updated, 0 deleted, \d+ unchanged$/);
    expect(first.result.changes.filter((c) => c.action === 'create').length).toBeGreaterThan(15);
    expect(first.notes).toEqual([]);

    // WHEN applied a second time
    const second = await runApply(argv(kc.url), ENV);
    // THEN no POST, PUT or DELETE reached Keycloak and the summary says so
    expect(kc.writes().length).toBe(writesAfterFirst);
    expect(second.result.changes).toEqual([]);
    expect(second.result.kept).toEqual([]);
    expect(second.summary).toMatch(/^0 created, 0 updated, 0 deleted, \d+ unchanged$/);
  });

  it('updates only what drifted, keeps unknown objects, and deletes them only with --prune', async () => {
    kc = await startFakeKeycloak();
    await runApply(argv(kc.url), ENV);
    const realm = kc.realms.get('keygate')!;
    // GIVEN drift made in the admin console
    const web = clientByClientId(realm, 'keygate-web');
    web.rep.redirectUris = ['https://evil.example.com/*'];
    const api = clientByClientId(realm, 'keygate-api');
    api.roles.get('model-user')!.description = 'edited by hand';
    const sa = userByName(realm, 'service-account-batch-scorer');
    sa.clientRoles.get(api.rep.id)!.delete(api.roles.get('model:sentiment:invoke')!.id);
    const legacy = {
      id: 'legacy-id',
      name: 'legacy',
      composite: false,
      clientRole: false,
      containerId: 'keygate',
    };
    realm.roles.set('legacy', legacy);
    const bob = userByName(realm, 'bob');
    bob.realmRoles.add('legacy-id');
    bob.realmRoles.add(realm.roles.get('model:sentiment:invoke')!.id);
    const mapperCount = web.mappers.size;
    const before = kc.writes().length;

    // WHEN applied without prune
    const run = await runApply(argv(kc.url), ENV);
    // THEN exactly the drift is repaired, unknown objects are reported and kept
    expect(run.result.changes).toEqual([
      { action: 'update', kind: 'client role', name: 'keygate-api:model-user' },
      { action: 'update', kind: 'client', name: 'keygate-web' },
      {
        action: 'create',
        kind: 'role mapping',
        name: 'service-account-batch-scorer -> keygate-api:model:sentiment:invoke',
      },
    ]);
    expect(run.result.kept).toEqual([
      'realm role legacy',
      'role mapping bob -> model:sentiment:invoke',
      'role mapping bob -> legacy',
    ]);
    expect(
      kc
        .writes()
        .slice(before)
        .every((w) => !w.startsWith('DELETE')),
    ).toBe(true);
    expect(web.rep.redirectUris).toEqual(['http://localhost:5173/*']);
    expect(web.mappers.size).toBe(mapperCount);
    expect(api.roles.get('model-user')!.description).toBe('Required by GET /models');
    expect(realm.roles.has('legacy')).toBe(true);

    // WHEN applied with --prune
    const pruned = await runApply(argv(kc.url, '--prune'), ENV);
    // THEN the unknown realm role (and with it its mappings) and the extra mapping are deleted;
    // Keycloak's default roles and own clients stay
    expect(pruned.result.changes).toEqual([
      { action: 'delete', kind: 'realm role', name: 'legacy' },
      { action: 'delete', kind: 'role mapping', name: 'bob -> model:sentiment:invoke' },
    ]);
    expect(realm.roles.has('legacy')).toBe(false);
    expect(realm.roles.has('offline_access')).toBe(true);
    expect(realmRoleNames(realm, userByName(realm, 'bob').realmRoles)).toEqual([
      'default-roles-keygate',
      'model-user',
    ]);
    // Keycloak's own clients and the stage's, nothing else.
    expect([...realm.clients.values()].map((c) => c.rep.clientId).sort()).toEqual([
      'account',
      'admin-cli',
      'batch-scorer',
      'broker',
      'keygate-api',
      'keygate-web',
      'realm-management',
    ]);
  });

  it('creates groups the routes name and upstream identity providers with their mappers, idempotently', async () => {
    kc = await startFakeKeycloak();
    const stage: StageConfig = {
      ...dev,
      routes: [
        ...dev.routes,
        {
          method: 'GET',
          path: '/reports',
          auth: 'keycloak',
          requirement: { allOf: { groups: ['/analytics/readers'] } },
        },
      ],
    };
    const desired = buildRealm(stage, {
      identityProviders: [
        {
          alias: 'corp',
          providerId: 'oidc',
          enabled: true,
          config: { issuer: 'https://idp.example.com', clientSecret: '${CORP_CLIENT_SECRET}' },
        },
        {
          alias: 'partner',
          providerId: 'oidc',
          enabled: true,
          config: { issuer: 'https://partner.example.com', clientSecret: '${vault.partner-secret}' },
        },
      ],
      identityProviderMappers: [
        {
          name: 'all-users',
          identityProviderAlias: 'corp',
          identityProviderMapper: 'hardcoded-role-idp-mapper',
          config: { role: 'model-user' },
        },
      ],
    });
    const admin = () => connectAdmin({ url: kc.url, username: 'admin', password: 'admin-pw' });
    const plan = await applyRealm(await admin(), desired, { dryRun: true });
    expect(kc.writes()).toEqual([]);
    const first = await applyRealm(await admin(), desired);
    expect(plan.changes).toEqual(first.changes);
    expect(
      first.changes.filter((c) =>
        ['group', 'identity provider', 'identity provider mapper'].includes(c.kind),
      ),
    ).toEqual([
      { action: 'create', kind: 'group', name: '/analytics' },
      { action: 'create', kind: 'group', name: '/analytics/readers' },
      { action: 'create', kind: 'identity provider', name: 'corp' },
      { action: 'create', kind: 'identity provider mapper', name: 'corp/all-users' },
      { action: 'create', kind: 'identity provider', name: 'partner' },
    ]);
    const realm = kc.realms.get('keygate')!;
    expect(realm.groups.map((g) => [g.name, g.subGroups.map((s) => s.name)])).toEqual([
      ['analytics', ['readers']],
    ]);
    const writes = kc.writes().length;
    // Keycloak masks the stored secret of 'corp' (not a vault reference): that is not a difference.
    const second = await applyRealm(await admin(), desired);
    expect(second.changes).toEqual([]);
    expect(kc.writes().length).toBe(writes);
    // A changed vault reference is; a new group under an existing one is planned, then created alike.
    const more = buildRealm(
      {
        ...stage,
        routes: [
          ...stage.routes.slice(0, -1),
          { ...stage.routes.at(-1)!, requirement: { allOf: { groups: ['/analytics/readers/eu'] } } },
        ],
      },
      {},
    );
    const groupPlan = await applyRealm(
      await admin(),
      {
        ...more,
        identityProviders: desired.identityProviders,
        identityProviderMappers: desired.identityProviderMappers,
      },
      { dryRun: true },
    );
    expect(groupPlan.changes).toEqual([{ action: 'create', kind: 'group', name: '/analytics/readers/eu' }]);
    expect(kc.writes().length).toBe(writes);
    const rotated = {
      ...desired,
      identityProviders: desired.identityProviders!.map((p) =>
        p.alias === 'partner'
          ? { ...p, config: { ...p.config, clientSecret: '${vault.partner-secret-2}' } }
          : p,
      ),
    };
    expect((await applyRealm(await admin(), rotated)).changes).toEqual([
      { action: 'update', kind: 'identity provider', name: 'partner' },
    ]);
  });

  it('--dry-run reports exactly what a real run then does, and writes nothing', async () => {
    kc = await startFakeKeycloak();
    // GIVEN an empty Keycloak: WHEN planned, THEN nothing is written and the plan is the first run's changes
    const plan = await runApply(argv(kc.url, '--dry-run'), ENV);
    expect(kc.writes()).toEqual([]);
    expect(kc.realms.size).toBe(0);
    const real = await runApply(argv(kc.url), ENV);
    expect(plan.result.changes).toEqual(real.result.changes);
    expect(plan.summary.split('\n')[0]).toBe('dry run: nothing was changed');
    expect(plan.summary).toMatch(/^would create \d+, update 0, delete 0, \d+ unchanged$/m);

    // GIVEN drift and a new machine client in the config
    const realm = kc.realms.get('keygate')!;
    clientByClientId(realm, 'keygate-web').rep.webOrigins = [];
    realm.roles.set('legacy', {
      id: 'l',
      name: 'legacy',
      composite: false,
      clientRole: false,
      containerId: 'keygate',
    });
    const config = structuredClone(DEFAULT_APP_CONFIG) as unknown as {
      stages: { dev: { keycloak: { serviceAccounts: { clientId: string; clientRoles: string[] }[] } } };
    };
    config.stages.dev.keycloak.serviceAccounts.push({
      clientId: 'nightly-report',
      clientRoles: ['model-user'],
    });
    const file = join(dir, 'keygate-more.json');
    writeFileSync(file, JSON.stringify(config));
    const args = (...extra: string[]) => argv(kc.url, ...extra).map((a) => (a === configFile ? file : a));
    const writes = kc.writes().length;
    // WHEN planned with prune, THEN nothing is written and the plan equals the real run that follows
    const plan2 = await runApply(args('--dry-run', '--prune'), ENV);
    expect(kc.writes().length).toBe(writes);
    expect(plan2.result.changes).toEqual([
      { action: 'delete', kind: 'realm role', name: 'legacy' },
      { action: 'update', kind: 'client', name: 'keygate-web' },
      { action: 'create', kind: 'client', name: 'nightly-report' },
      { action: 'create', kind: 'protocol mapper', name: 'nightly-report/keygate-api-audience' },
      {
        action: 'create',
        kind: 'role mapping',
        name: 'service-account-nightly-report -> keygate-api:model-user',
      },
    ]);
    const real2 = await runApply(args('--prune'), ENV);
    expect(real2.result.changes).toEqual(plan2.result.changes);
  });

  it('prints generated test-user passwords only for users it created', async () => {
    kc = await startFakeKeycloak();
    const args = argv(kc.url).filter((a) => a !== '--password-env' && a !== 'TEST_USER_PASSWORD');
    const first = await runApply(args, ENV);
    expect(first.notes.map((n) => n.replace(/: \S+$/, ''))).toEqual([
      'generated password for test user alice',
      'generated password for test user bob',
    ]);
    const realm = kc.realms.get('keygate')!;
    expect(first.notes[0].endsWith(`: ${userByName(realm, 'alice').password}`)).toBe(true);
    expect((await runApply(args, ENV)).notes).toEqual([]);
  });

  it('rejects a wrong admin password with the server error, without writing', async () => {
    kc = await startFakeKeycloak();
    await expect(runApply(argv(kc.url), { ...ENV, KC_ADMIN_PASSWORD: 'wrong' })).rejects.toThrow(
      `admin sign-in to ${kc.url} as admin failed: invalid_grant`,
    );
    expect(kc.writes()).toEqual([]);
  });
});

describe('realm:apply arguments', () => {
  it.each<[string[], NodeJS.ProcessEnv, string]>([
    [
      ['--admin-user', 'a', '--admin-password-env', 'P'],
      { P: 'x' },
      '--url must be the Keycloak base URL (http or https)',
    ],
    [['--url', 'http://127.0.0.1:1', '--admin-password-env', 'P'], { P: 'x' }, '--admin-user is required'],
    [
      ['--url', 'http://127.0.0.1:1', '--admin-user', 'a'],
      {},
      '--admin-password-env must name the environment variable holding the admin password',
    ],
    [
      ['--url', 'http://127.0.0.1:1', '--admin-user', 'a', '--admin-password-env', 'MISSING'],
      {},
      '--admin-password-env: environment variable MISSING is not set',
    ],
  ])('rejects %j', async (args, env, message) => {
    await expect(runApply(args, env)).rejects.toThrow(message);
  });
});

describe('matches', () => {
  it.each<[unknown, unknown, boolean]>([
    [{ a: 1 }, { a: 1, b: 2 }, true],
    [{ a: 1 }, { a: 2 }, false],
    [{ list: ['x', 'y'] }, { list: ['y', 'x'] }, true],
    [{ list: ['x'] }, { list: ['x', 'y'] }, false],
    [{ attrs: { k: 'v' } }, { attrs: { k: 'v', other: 'z' } }, true],
    [{ attrs: { k: 'v' } }, { attrs: {} }, false],
    [{ flag: false }, {}, false],
  ])('%j within %j -> %s', (desired, current, expected) => {
    expect(matches(desired, current)).toBe(expected);
  });

  it('formats an empty run', () => {
    expect(formatSummary({ changes: [], unchanged: 3, kept: [] })).toBe(
      '0 created, 0 updated, 0 deleted, 3 unchanged',
    );
  });
});
