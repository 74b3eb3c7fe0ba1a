import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { exportRealm } from '../../realm/export-realm';
import { buildRealm } from '../../realm/realm-definition';
import { loadStage } from '../../cli/stage';

describe('realm:export', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'keygate-realm-'));
    dirs.push(d);
    return d;
  };

  it('prints the realm import JSON of the selected stage (cdk.json context, else the embedded default)', () => {
    const { json, notes } = exportRealm(['--stage', 'dev']);
    expect(JSON.parse(json)).toEqual(buildRealm(loadStage({ stage: 'dev' }).stage));
    expect(JSON.parse(json).realm).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(notes).toEqual([]);
  });

  it('takes test-user passwords from the named environment variable and writes a private file', () => {
    const out = join(tmp(), 'realm.json');
    const { json, notes } = exportRealm(
      ['--stage', 'dev', '--test-users', '--password-env', 'PW', '--out', out],
      {
        PW: 'pw-from-env',
      },
    );
    expect(json).toBe('');
    const realm = JSON.parse(readFileSync(out, 'utf8'));
    const alice = realm.users.find((u: { username: string }) => u.username === 'alice');
    expect(alice.credentials).toEqual([{ type: 'password', value: 'pw-from-env', temporary: false }]);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(notes).toEqual(['the realm file holds test-user passwords: keep it out of version control']);
  });

  it('generates distinct passwords when no variable is named', () => {
    const { json, notes } = exportRealm(['--test-users'], {});
    const pws = JSON.parse(json)
      .users.filter((u: { credentials?: unknown }) => u.credentials)
      .map((u: { credentials: { value: string }[] }) => u.credentials[0].value);
    expect(pws).toHaveLength(2);
    expect(new Set(pws).size).toBe(2);
    expect(pws.every((p: string) => p.length >= 24)).toBe(true);
    expect(notes.filter((n) => n.startsWith('generated password for test user '))).toHaveLength(2);
  });

  it('reads stages from --config', () => {
    const file = join(tmp(), 'config.json');
    const prod = {
      ...DEFAULT_APP_CONFIG.stages.dev,
      keycloak: { ...DEFAULT_APP_CONFIG.stages.dev.keycloak, issuer: 'https://sso.example.com/realms/prod' },
    };
    writeFileSync(file, JSON.stringify({ stages: { prod } }));
    expect(JSON.parse(exportRealm(['--config', file, '--stage', 'prod']).json).realm).toBe('prod');
  });

  it('fails on an invalid stage with the field named, as cdk synth does', () => {
    const file = join(tmp(), 'broken.json');
    const dev = DEFAULT_APP_CONFIG.stages.dev;
    writeFileSync(
      file,
      JSON.stringify({ stages: { dev: { ...dev, models: [{ id: 'Bad Id', kind: 'demo' }] } } }),
    );
    expect(() => exportRealm(['--config', file, '--stage', 'dev'])).toThrow(
      /^the configuration is not valid:\n {2}stages\.dev\.models\[0\]\.id/,
    );
  });

  it.each<[string[], NodeJS.ProcessEnv, string]>([
    [
      ['--stage', 'nope'],
      {},
      "the configuration is not valid:\n  stage 'nope' is not in keygate.stages (dev)",
    ],
    [
      ['--test-users', '--password-env', 'MISSING'],
      {},
      '--password-env: environment variable MISSING is not set',
    ],
  ])('rejects %j', (argv, env, message) => {
    expect(() => exportRealm(argv, env)).toThrow(message);
  });
});
