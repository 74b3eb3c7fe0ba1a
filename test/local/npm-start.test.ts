/**
 * `npm start`: the repository's own app, synthesized for the default stage and served by the same code as
 * `keygate local`, with the stage's realm (its test users and service accounts) in the built-in issuer.
 * One process run: the printed values are what the test uses, as a user would paste them.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sigV4Headers } from '../../local/callers';
import { request } from '../../local/http/request';

const ROOT = path.join(__dirname, '..', '..');
const PASSWORD = 'local-test-password-1';
const KEY_ID = 'AKIALOCALSTARTTEST01';
const SECRET = 'local-start-test-secret-key-0000000000000';

/** Process ids below `pid` (Linux `ps`). */
function descendantsOf(pid: number): number[] {
  const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout;
  const children = out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
  return children.flatMap((c) => [c, ...descendantsOf(c)]);
}

/** Running (a zombie, exited but not yet reaped by its new parent, counts as stopped). */
function alive(pid: number): boolean {
  const stat = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return stat !== '' && !stat.startsWith('Z');
}

describe('npm start: the default app as keygate local serves it', () => {
  let npm: ChildProcess;
  let output = '';
  let http = '';
  let rest = '';
  let tokenUrl = '';
  let ca = '';

  beforeAll(async () => {
    npm = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: {
        ...process.env,
        KEYGATE_ISSUER_PORT: '0',
        KEYGATE_GATEWAY_PORT: '0',
        KEYGATE_TEST_PASSWORD: PASSWORD,
        KEYGATE_LOCAL_ACCESS_KEY_ID: KEY_ID,
        KEYGATE_LOCAL_SECRET_ACCESS_KEY: SECRET,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 1200 && !output.includes('Ctrl-C stops everything'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    http = /HTTP API (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? '';
    rest = /REST API (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? '';
    tokenUrl =
      /(https:\/\/127\.0\.0\.1:\d+\/realms\/keygate\/protocol\/openid-connect\/token)/.exec(output)?.[1] ??
      '';
    const caFile = /CA to trust: (\S+)/.exec(output)?.[1] ?? '';
    ca = readFileSync(caFile, 'utf8');
  }, 150_000);

  afterAll(() => {
    if (npm.exitCode === null) npm.kill('SIGKILL');
  });

  async function userToken(username: string): Promise<string> {
    const res = await request(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'keygate-web',
        username,
        password: PASSWORD,
      }).toString(),
      ca,
    });
    return res.json<{ access_token: string }>().access_token;
  }

  const invoke = (base: string, token: string) =>
    fetch(`${base}/models/sentiment/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"input":"I love this great product"}',
    });

  it("prints both of the stage's APIs and its test users with the password given", () => {
    expect(http).toMatch(/^http:/);
    expect(rest).toMatch(/^http:/);
    expect(output).toContain(`alice        password ${PASSWORD}`);
    expect(output).toContain(`access key ${KEY_ID}   secret ${SECRET}`);
  });

  it.each(['http', 'rest'])('%s API: 401 without a token, 403 for bob, 200 for alice', async (kind) => {
    const base = kind === 'http' ? http : rest;
    expect((await fetch(`${base}/models`)).status).toBe(401);
    expect((await invoke(base, await userToken('bob'))).status).toBe(403);
    const ok = await invoke(base, await userToken('alice'));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ modelId: 'sentiment', output: { label: 'positive' } });
  });

  it('lets the printed IAM credential invoke a model over SigV4', async () => {
    const url = `${http}/machine/models/sentiment/invoke`;
    const body = '{"input":"works well"}';
    const headers = await sigV4Headers(
      url,
      'POST',
      { accessKeyId: KEY_ID, secretAccessKey: SECRET },
      'eu-west-1',
      body,
      { 'content-type': 'application/json' },
    );
    const res = await fetch(url, { method: 'POST', headers, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ modelId: 'sentiment' });
  });

  it("streams the REST API's streaming route from the assembly's streaming function", async () => {
    const res = await fetch(`${rest}/models/sentiment/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await userToken('alice')}`, 'content-type': 'application/json' },
      body: '{"input":"I love this great product"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(await res.text()).toContain('positive');
  });

  it('stops every server and function process on SIGTERM to npm', async () => {
    const processes = descendantsOf(npm.pid!);
    // npm's shell, the command, the authorizer's and the backends' function processes
    expect(processes.length).toBeGreaterThanOrEqual(4);
    process.kill(npm.pid!, 'SIGTERM');
    for (let i = 0; i < 100 && processes.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(processes.filter(alive)).toEqual([]);
    await expect(fetch(`${http}/models`)).rejects.toThrow();
  }, 30_000);
});

describe('npm start --sign-in: the app sign-in function, served from the assembly', () => {
  let npm: ChildProcess;
  let output = '';
  beforeAll(async () => {
    // A process group of its own, as a terminal gives a command: Ctrl-C is SIGINT to the whole group.
    npm = spawn('npm', ['start', '--silent', '--', '--sign-in', '--api', 'http'], {
      cwd: ROOT,
      detached: true,
      env: { ...process.env, KEYGATE_ISSUER_PORT: '0', KEYGATE_GATEWAY_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 1200 && !output.includes('Ctrl-C stops everything'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 150_000);
  afterAll(() => {
    if (npm.exitCode === null) process.kill(-npm.pid!, 'SIGKILL');
  });

  it('prints the sign-in URL, which sends the browser to the issuer with the gateway callback', async () => {
    const login = /(http:\/\/127\.0\.0\.1:\d+)\/auth\/login\?returnTo=%2Fme/.exec(output);
    expect(login).not.toBeNull();
    const gateway = login![1];
    const res = await request(login![0]);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.location as string);
    expect(location.pathname).toBe('/realms/keygate/protocol/openid-connect/auth');
    expect(location.searchParams.get('redirect_uri')).toBe(`${gateway}/auth/callback`);
    // The login cookie is sealed with the cookie keys the sign-in function read from the secrets stand-in.
    expect(
      ((res.headers['set-cookie'] as string[]) ?? []).some((c) => c.startsWith('__Host-keygate_login=')),
    ).toBe(true);
  });

  it('stops every process on Ctrl-C (SIGINT to its process group)', async () => {
    const processes = [npm.pid!, ...descendantsOf(npm.pid!)];
    expect(processes.length).toBeGreaterThanOrEqual(4);
    process.kill(-npm.pid!, 'SIGINT');
    for (let i = 0; i < 100 && processes.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    expect(processes.filter(alive)).toEqual([]);
  }, 30_000);
});

describe('npm start: realm options', () => {
  it('lists --sign-in and http realms in its usage', () => {
    const run = spawnSync('npm', ['start', '--silent', '--', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/served the way\s+`keygate local` serves any app/);
    expect(run.stdout).toMatch(/^ {2}--sign-in {17}browser sign-in/m);
    expect(run.stdout).toMatch(/^ {2}--keycloak local {10}start the project's Keycloak fixture/m);
  });

  it('refuses browser sign-in with an http realm in one line', () => {
    const run = spawnSync(
      'npm',
      ['start', '--silent', '--', '--sign-in', '--keycloak=http://127.0.0.1:1/realms/keygate'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(run.status).toBe(1);
    // The last line (oidc-provider warns about the Node.js version when it loads).
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      "npm start: --sign-in takes an https realm: the app's sign-in function speaks https to Keycloak only, got --keycloak http://127.0.0.1:1/realms/keygate",
    );
  });
});
