/**
 * `npm start -- --keycloak <realm URL>` against the suite's real Keycloak: the command provisions the stage's
 * realm through the admin API, serves the synthesized app with its own authorizer trusting the realm's http
 * issuer (the development opt-in; the keys through the local https front), and prints ready-to-run
 * commands — which are run here exactly as printed, in bash, with curl.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keycloakServer } from './keycloak-server';

const ROOT = join(__dirname, '..', '..');
/**
 * A realm of its own on the shared server (the realm URL names it): provisioning resets the test users'
 * passwords, which the files using the imported default realm (`keygate`) rely on.
 */
const REALM = 'kg-local-stack';

interface Printed {
  readonly banner: string;
  /** The "Try it" commands, by their `#` title. */
  readonly groups: ReadonlyMap<string, string[]>;
}

/** Reads the CLI's output until the banner's last line; then the stack is up and the commands are printed. */
function waitForBanner(child: ChildProcess): Promise<Printed> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('Ctrl-C stops everything.')) return;
      const groups = new Map<string, string[]>();
      let current: string[] | undefined;
      // "Try it:" or "Try it (on the HTTP API; the REST API at … takes the same commands):"
      for (const line of out
        .slice(out.search(/^Try it\b/m))
        .split('\n')
        .slice(1)) {
        if (line.trim() === '') break;
        const title = /^ {2}# (.*)$/.exec(line)?.[1];
        if (title !== undefined) groups.set(title, (current = []));
        else current?.push(line.trim());
      }
      resolve({ banner: out, groups });
    });
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${out}\n${err}`)));
  });
}

/** Runs printed lines in one bash (later lines use the variables earlier ones set); stdout, line by line. */
function runPrinted(lines: readonly string[]): string[] {
  const r = spawnSync('bash', ['-c', `set -e\n${lines.join('\necho\n')}\necho`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('npm start -- --keycloak <realm URL>, against a real Keycloak', () => {
  let child: ChildProcess;
  let printed: Printed;
  let realmUrl: string;

  beforeAll(async () => {
    const kc = keycloakServer();
    realmUrl = `${kc.url}/realms/${REALM}`;
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/start.ts',
        '--keycloak',
        realmUrl,
        '--admin-user',
        kc.admin.username,
        '--admin-password-env',
        'KEYGATE_TEST_KC_ADMIN_PASSWORD',
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          KEYGATE_TEST_KC_ADMIN_PASSWORD: kc.admin.password,
          KEYGATE_ISSUER_PORT: '0',
          KEYGATE_GATEWAY_PORT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    printed = await waitForBanner(child);
  });

  afterAll(async () => {
    if (child?.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('names the realm as the issuer and prints the provisioned passwords and secrets', () => {
    expect(printed.banner).toContain(`  keycloak ${realmUrl}\n`);
    expect(printed.banner).not.toContain('CA to trust');
    expect(printed.banner).not.toContain('not known');
    expect([...printed.groups.keys()]).toEqual([
      'a person signs in and calls the API',
      'a service account (client credentials)',
      'a machine with AWS credentials (SigV4)',
    ]);
  });

  it("runs the person's commands as printed: a Keycloak password-grant token, then the API", () => {
    const lines = printed.groups.get('a person signs in and calls the API')!;
    expect(lines[0]).toContain(`${realmUrl}/protocol/openid-connect/token`);
    const [models, invoked] = runPrinted(lines).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect((models.models as { id: string }[]).map((m) => m.id)).toEqual(['sentiment', 'keywords']);
    expect(invoked).toMatchObject({ modelId: 'sentiment', output: { label: 'positive' } });
  });

  it("runs the service account's commands as printed: client credentials with the secret read from Keycloak", () => {
    const [invoked] = runPrinted(printed.groups.get('a service account (client credentials)')!).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect(invoked).toMatchObject({ modelId: 'sentiment', output: { label: 'positive' } });
  });

  it('runs the SigV4 commands as printed', () => {
    const [models, invoked] = runPrinted(printed.groups.get('a machine with AWS credentials (SigV4)')!).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect((models.models as { id: string }[]).map((m) => m.id)).toEqual(['sentiment', 'keywords']);
    expect(invoked).toMatchObject({ modelId: 'sentiment', output: { label: 'positive' } });
  });
});
