/**
 * Realm as code against the real server: the realms `realm:export` writes are imported by Keycloak
 * without errors or warnings, and hold what their definition says; `realm:apply` creates a realm through
 * the admin API, finds nothing to change the second time and says so, and reports and repairs drift.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KeygateAppConfig } from '../../common/app-config';
import { applyRealm } from '../../realm/apply-realm';
import { runApply } from '../../realm/apply-realm-cli';
import type { ImportRealm } from './import-realms';
import { importRealms } from './import-realms';
import { adminClient, keycloakServer } from './keycloak-server';
import { testStage } from './support';

/** Log lines Keycloak 26 writes at WARN on every start in development mode, whatever the realms. */
const EXPECTED_WARNINGS = [/Deprecated features .* enabled by default/];

describe('realm as code on the real server', () => {
  let admin: KeycloakAdminClient;
  let realms: ImportRealm[];

  beforeAll(async () => {
    admin = await adminClient();
    const kc = keycloakServer();
    // The very realm files the server imported (the SAML signing certificate is made per run).
    realms = kc.local
      ? Object.entries(kc.imported).map(([file, json]) => ({ file, json }))
      : await importRealms();
    // A server this suite did not start cannot import at start-up: create the realms through the admin
    // API instead, which runs the same import code (RealmManager.importRealm).
    if (!kc.local) {
      for (const r of realms) {
        if (!(await admin.realms.findOne({ realm: r.json.realm! }))) await admin.realms.create(r.json);
      }
    }
  });

  it('imports the exported realms at start, without an error or a warning', () => {
    const kc = keycloakServer();
    const names = Object.values(kc.imported).map((r) => r.realm!);
    expect(names.sort()).toEqual(kc.local ? ['keygate', 'kg-import-brokered', 'kg-import-upstreams'] : []);
    if (!kc.local) return;
    // The start-up part of the log (the import runs before the server reports it has started).
    const all = fs.readFileSync(kc.logFile!, 'utf8').split('\n');
    const started = all.findIndex((l) => / Keycloak [\d.]+ on JVM .* started in /.test(l));
    expect(started).toBeGreaterThan(0);
    const log = all.slice(0, started + 1);
    for (const realm of names) {
      expect(log.filter((l) => l.includes(`Realm '${realm}' imported`))).toHaveLength(1);
    }
    const problems = log.filter(
      (l) => / (WARN|ERROR|FATAL) /.test(l) && !EXPECTED_WARNINGS.some((w) => w.test(l)),
    );
    expect(problems).toEqual([]);
  });

  it.each(['keygate', 'kg-import-brokered', 'kg-import-upstreams'])(
    'realm %s holds what its definition says: realm:apply finds nothing to change',
    async (name) => {
      const desired = realms.find((r) => r.json.realm === name)!.json;
      const result = await applyRealm(admin, desired, { dryRun: true });
      expect(result.changes).toEqual([]);
      expect(result.unchanged).toBeGreaterThan(10);
    },
  );

  it('realm:apply creates the realm, changes nothing the second time, reports and repairs drift', async () => {
    const kc = keycloakServer();
    const realm = 'kg-apply';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-apply-'));
    const configFile = path.join(dir, 'config.json');
    const config: KeygateAppConfig = { defaultStage: 'kc', stages: { kc: testStage(kc.url, realm) } };
    fs.writeFileSync(configFile, JSON.stringify(config));
    const env = { KC_ADMIN_PASSWORD: kc.admin.password, KG_TEST_PASSWORD: 'Keygate-apply-password-1' };
    const apply = async () =>
      (
        await runApply(
          [
            ...['--config', configFile, '--stage', 'kc', '--url', kc.url],
            ...['--admin-user', kc.admin.username, '--admin-password-env', 'KC_ADMIN_PASSWORD'],
            ...['--test-users', '--password-env', 'KG_TEST_PASSWORD'],
          ],
          env,
        )
      ).summary;
    try {
      const first = await apply();
      expect(first.split('\n')[0]).toBe(`create realm: ${realm}`);
      expect(first).toMatch(/^\d+ created, 0 updated, 0 deleted, \d+ unchanged$/m);

      const second = await apply();
      expect(second).toMatch(/^0 created, 0 updated, 0 deleted, \d+ unchanged$/);

      // Drift by hand: a role's description and a client's settings.
      admin.setConfig({ realmName: realm });
      const role = await admin.roles.findOneByName({ name: 'model-user' });
      await admin.roles.updateByName({ name: 'model-user' }, { ...role, description: 'changed by hand' });
      const [web] = await admin.clients.find({ clientId: 'keygate-web' });
      await admin.clients.update(
        { id: web.id! },
        { ...web, directAccessGrantsEnabled: true, redirectUris: ['*'] },
      );

      const third = await apply();
      expect(third.split('\n')).toEqual([
        'update realm role: model-user',
        'update client: keygate-web',
        expect.stringMatching(/^0 created, 2 updated, 0 deleted, \d+ unchanged$/),
      ]);
      const repaired = await admin.clients.findOne({ id: web.id! });
      expect(repaired).toMatchObject({
        directAccessGrantsEnabled: false,
        redirectUris: ['http://localhost:5173/*'],
      });
      expect((await admin.roles.findOneByName({ name: 'model-user' }))?.description).not.toBe(
        'changed by hand',
      );

      expect(await apply()).toMatch(/^0 created, 0 updated, 0 deleted, \d+ unchanged$/);
    } finally {
      admin.setConfig({ realmName: 'master' });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
