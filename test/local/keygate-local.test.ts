/**
 * `keygate local` over synthesized apps: the app's own authorizer and backends, run from the assembly,
 * behind the local gateway.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sigV4Headers } from '../../local/callers';
import { readAssembly } from '../../local/assembly/read-assembly';
import { serveAssembly } from '../../local/assembly/serve-assembly';
import type { ServedAssembly } from '../../local/assembly/serve-assembly';
import type { GatewayRecord } from '../../local/gateway/local-gateway';
import { GRANTED_USER, PLAIN_USER } from '../../local/assembly/assembly-issuer';
import { SHOP_ISSUER, synthOrdersApp, synthShopRestApp } from './assembly-apps';
import { startLocalIssuer } from '../../local/issuer';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey } from '../support/keys';
import { keycloakAccessToken } from '../support/tokens';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-local-test-'));

function subOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sub: string }).sub;
}

async function get(url: string, token?: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  return { status: res.status, body: await res.text() };
}

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('keygate local: the README example app', () => {
  let served: ServedAssembly;
  beforeAll(async () => {
    synthOrdersApp(path.join(work, 'orders'));
    served = await serveAssembly({ app: path.join(work, 'orders') });
  }, 60_000);
  afterAll(() => served?.close());

  it('serves its HTTP API and its REST API, each with GET /orders behind the Keygate authorizer', () => {
    expect(
      served.apis.map((a) => [a.api.kind, a.api.routes.map((r) => `${r.method} ${r.path} ${r.auth}`)]),
    ).toEqual([
      ['http', ['GET /orders keycloak']],
      ['rest', ['GET /orders keycloak']],
    ]);
    expect(served.issuerUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/realms\/shop$/);
  });

  it.each([0, 1])(
    'api %i: 401 without a token, 403 without the role, 200 with it, the backend seeing the caller',
    async (i) => {
      const { url } = served.apis[i];
      const granted = await served.issuer!.mint({ username: GRANTED_USER });
      const plain = await served.issuer!.mint({ username: PLAIN_USER });
      expect(await get(`${url}/orders`)).toMatchObject({ status: 401 });
      expect(await get(`${url}/orders`, plain)).toMatchObject({ status: 403 });
      const ok = await get(`${url}/orders`, granted);
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({
        caller: subOf(granted),
        greeting: 'hello from the template',
      });
    },
  );
  it("answers the REST API's refusals with its own gateway responses, the HTTP API's with API Gateway's", async () => {
    const [http, rest] = served.apis;
    const plain = await served.issuer!.mint({ username: PLAIN_USER });
    const restRes = await fetch(`${rest.url}/orders`);
    expect(await restRes.json()).toEqual({
      error: 'unauthorized',
      message: 'Unauthorized',
      requestId: restRes.headers.get('x-amzn-requestid'),
    });
    const denied = await fetch(`${rest.url}/orders`, { headers: { authorization: `Bearer ${plain}` } });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: 'forbidden', signIn: '' });
    expect(await get(`${http.url}/orders`)).toEqual({ status: 401, body: '{"message":"Unauthorized"}' });
  });
});

describe('keygate local: what the gateway tells of each request', () => {
  it("names the authorizer's reason and counts its invocations, per API", async () => {
    const dir = path.join(work, 'orders-records');
    synthOrdersApp(dir);
    const records: { api: string; status: number; reason: string; authorizerReason?: string }[] = [];
    const invoked: string[] = [];
    const served = await serveAssembly({
      app: dir,
      onRequest: (api, r) =>
        records.push({
          api: api.kind,
          status: r.status,
          reason: r.reason,
          ...(r.authorizerReason ? { authorizerReason: r.authorizerReason } : {}),
        }),
      onAuthorizerInvoked: (api) => invoked.push(api.kind),
    });
    try {
      const [http, rest] = served.apis;
      const granted = await served.issuer!.mint({ username: GRANTED_USER });
      const plain = await served.issuer!.mint({ username: PLAIN_USER });
      const expired = await served.issuer!.mint({ username: GRANTED_USER, expiresIn: -600 });
      await get(`${http.url}/orders`, granted);
      await get(`${http.url}/orders`, granted); // cached: no invocation, no decision
      await get(`${http.url}/orders`, plain);
      await get(`${rest.url}/orders`, expired);
      await get(`${rest.url}/orders`);
      expect(records.map((r) => [r.api, r.status, r.authorizerReason])).toEqual([
        ['http', 200, 'allowed'],
        ['http', 200, undefined],
        ['http', 403, 'route_forbidden'],
        ['rest', 401, 'token_expired'],
        ['rest', 401, undefined],
      ]);
      expect(invoked).toEqual(['http', 'http', 'rest']);
    } finally {
      await served.close();
    }
  });
});

describe('keygate local --keycloak: a realm of its own', () => {
  it('trusts the given https realm (with its CA) instead of starting the built-in issuer', async () => {
    // GIVEN a realm served elsewhere (the local issuer plays it: https, a certificate of its own CA)
    const realm = await startLocalIssuer({
      realm: {
        issuer: SHOP_ISSUER,
        apiClientId: 'shop-api',
        peopleClientId: 'shop-web',
        testUsers: [{ username: 'carol', realmRoles: ['orders-reader'] }],
      },
    });
    const caFile = path.join(work, 'realm-ca.pem');
    fs.writeFileSync(caFile, realm.ca!);
    const dir = path.join(work, 'orders-keycloak');
    synthOrdersApp(dir);
    // WHEN the app is served trusting it
    const served = await serveAssembly({ app: dir, keycloak: `${realm.issuer}/`, keycloakCaFile: caFile });
    try {
      // THEN no built-in issuer runs, and the realm's tokens open the route
      expect([served.issuer, served.issuerUrl]).toEqual([undefined, realm.issuer]);
      const token = await realm.mint({ username: 'carol' });
      const ok = await get(`${served.apis[0].url}/orders`, token);
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({ caller: subOf(token) });
    } finally {
      await served.close();
      await realm.close();
    }
  });

  it('trusts an http realm on a loopback address, its keys reaching the authorizer over an https front', async () => {
    // GIVEN a development Keycloak's realm over http on 127.0.0.1 (its JWKS, and tokens with its http iss)
    const key = await generateSigningKey('RS256');
    const jwksFetches: string[] = [];
    const keycloak = createServer((req, res) => {
      jwksFetches.push(`${req.method} ${req.url}`);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    await new Promise<void>((r) => keycloak.listen(0, '127.0.0.1', () => r()));
    const realmUrl = `http://127.0.0.1:${(keycloak.address() as AddressInfo).port}/realms/shop`;
    const dir = path.join(work, 'orders-http-keycloak');
    synthOrdersApp(dir);
    // WHEN the app is served trusting it
    const served = await serveAssembly({ app: dir, keycloak: realmUrl });
    try {
      // THEN the realm's tokens (iss: its http URL) open the route; the authorizer fetched the keys once,
      // through the front, at the realm's own JWKS path
      const token = keycloakAccessToken(key, {
        issuer: realmUrl,
        azp: 'shop-web',
        realmRoles: ['orders-reader'],
      });
      const ok = await get(`${served.apis[0].url}/orders`, token);
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toMatchObject({ caller: subOf(token) });
      expect(jwksFetches).toEqual(['GET /realms/shop/protocol/openid-connect/certs']);
      // and a token naming the same realm over https (another iss) is refused
      const other = keycloakAccessToken(key, {
        issuer: realmUrl.replace('http:', 'https:'),
        azp: 'shop-web',
        realmRoles: ['orders-reader'],
      });
      expect((await get(`${served.apis[0].url}/orders`, other)).status).toBe(401);
    } finally {
      await served.close();
      await new Promise<void>((r) => keycloak.close(() => r()));
    }
  });

  it('refuses an http realm URL off loopback in one line', async () => {
    const dir = path.join(work, 'orders-remote-http-keycloak');
    synthOrdersApp(dir);
    await expect(serveAssembly({ app: dir, keycloak: 'http://sso.internal/realms/shop' })).rejects.toThrow(
      "--keycloak takes the URL of a realm (https://host/realms/<name>, or http on a loopback address such as http://127.0.0.1:8080/realms/<name>), got 'http://sso.internal/realms/shop'",
    );
  });
});

describe('keygate local: a REST API with IAM, per-model and unsupported routes', () => {
  let served: ServedAssembly;
  const records: GatewayRecord[] = [];
  beforeAll(async () => {
    synthShopRestApp(path.join(work, 'shop'), path.join(work, 'shop-src'));
    served = await serveAssembly({ app: path.join(work, 'shop'), onRequest: (_api, r) => records.push(r) });
  }, 60_000);
  afterAll(() => served?.close());

  it('replays a cached per-model policy: the role for model a opens a, and the cached answer refuses b', async () => {
    const { url } = served.apis[0];
    const token = await served.issuer!.mint({
      username: PLAIN_USER,
      claims: { realm_access: { roles: ['model:a:invoke'] } },
    });
    const post = (model: string) =>
      fetch(`${url}/models/${model}/invoke`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    records.length = 0;
    expect((await post('a')).status).toBe(200);
    expect((await post('b')).status).toBe(403);
    expect(records.map((r) => [r.status, r.authorizerInvoked, r.cacheHit])).toEqual([
      [200, true, false],
      [403, false, true],
    ]);
  });

  it('signs IAM routes with the local test credential and refuses the outsider and the unsigned', async () => {
    const { url } = served.apis[0];
    const target = `${url}/machine/orders`;
    const signed = await sigV4Headers(target, 'GET', served.iam.machine, 'eu-west-1');
    const ok = await get(target, undefined, signed);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ iam: served.iam.machine.callerArn });
    const outsider = await sigV4Headers(target, 'GET', served.iam.outsider, 'eu-west-1');
    expect((await get(target, undefined, outsider)).status).toBe(403);
    expect((await get(target)).status).toBe(403);
  });

  it('grants a role of the stack exactly the IAM routes of its execute-api:Invoke grants', async () => {
    const { url } = served.apis[0];
    const roles = Object.keys(served.iam.roles);
    expect(roles).toEqual([expect.stringMatching(/^OrdersReader[0-9A-F]{8}$/)]);
    const reader = served.iam.roles[roles[0]];
    const call = async (p: string) =>
      (await get(`${url}${p}`, undefined, await sigV4Headers(`${url}${p}`, 'GET', reader, 'eu-west-1')))
        .status;
    expect(await call('/machine/orders')).toBe(200);
    expect(await call('/machine/admin')).toBe(403);
  });

  it('stops a backend at its timeout (500) and runs the next call in a new process', async () => {
    const { url } = served.apis[0];
    const token = await served.issuer!.mint({ username: PLAIN_USER });
    expect((await get(`${url}/slow?wait=1`, token)).status).toBe(500);
    expect(await get(`${url}/slow`, token)).toEqual({ status: 200, body: 'awake' });
  }, 20_000);

  it('answers 501 with the reason on the routes it cannot run, and runs the rest', async () => {
    const { url, api } = served.apis[0];
    expect(api.routes.filter((r) => r.unsupported).map((r) => r.unsupported)).toEqual([
      expect.stringMatching(
        /^function Report[0-9A-F]{8} runs on python3\.12; the local gateway runs Node\.js functions only$/,
      ),
      'route GET /profile: authorization type COGNITO_USER_POOLS is not emulated',
    ]);
    const report = await get(`${url}/report`);
    expect(report.status).toBe(501);
    expect(JSON.parse(report.body)).toEqual({
      message: `Not run locally: ${api.routes.find((r) => r.path === '/report')?.unsupported}`,
    });
    expect((await get(`${url}/profile`)).status).toBe(501);
  });
});

describe('keygate local: a template it cannot fully understand', () => {
  it('names each route it cannot run (hand-edited: a JWT authorizer, an HTTP integration) and serves the rest', async () => {
    const dir = path.join(work, 'edited');
    synthOrdersApp(dir);
    const file = path.join(dir, 'Orders.template.json');
    const template = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const apiId = Object.keys(template.Resources).find(
      (k) => template.Resources[k].Type === 'AWS::ApiGatewayV2::Api',
    )!;
    template.Resources.JwtAuthorizer = {
      Type: 'AWS::ApiGatewayV2::Authorizer',
      Properties: {
        ApiId: { Ref: apiId },
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
      },
    };
    template.Resources.LegacyRoute = {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: apiId },
        RouteKey: 'GET /legacy',
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: 'JwtAuthorizer' },
      },
    };
    template.Resources.WebIntegration = {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: {
        ApiId: { Ref: apiId },
        IntegrationType: 'HTTP_PROXY',
        IntegrationUri: 'https://example.com',
      },
    };
    template.Resources.WebRoute = {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: {
        ApiId: { Ref: apiId },
        RouteKey: 'GET /web',
        AuthorizationType: 'NONE',
        Target: 'integrations/WebIntegration',
      },
    };
    fs.writeFileSync(file, JSON.stringify(template));

    const served = await serveAssembly({ app: dir });
    try {
      const http = served.apis.find((a) => a.api.kind === 'http')!;
      expect(http.api.routes.map((r) => `${r.method} ${r.path}: ${r.unsupported ?? 'runs'}`).sort()).toEqual([
        'GET /legacy: route GET /legacy: its JWT authorizer has no literal issuer and audience',
        'GET /orders: runs',
        'GET /web: route GET /web: its integration is not a Lambda proxy integration of this stack',
      ]);
      expect((await get(`${http.url}/legacy`)).status).toBe(501);
      expect((await get(`${http.url}/web`)).status).toBe(501);
      const token = await served.issuer!.mint({ username: GRANTED_USER });
      expect((await get(`${http.url}/orders`, token)).status).toBe(200);
    } finally {
      await served.close();
    }
  }, 60_000);

  it.each([
    [
      'no manifest',
      (dir: string) => fs.rmSync(path.join(dir, 'manifest.json')),
      /^cannot read the cloud assembly: .*manifest\.json does not exist \(run `cdk synth` first, or name the folder with --app\)$/,
    ],
    [
      'a template that is not JSON',
      (dir: string) => fs.writeFileSync(path.join(dir, 'Orders.template.json'), '{'),
      /^cannot read the template of stack Orders: .* is not JSON/,
    ],
  ])('refuses an unreadable assembly (%s) with one line', (_name, spoil, message) => {
    const dir = path.join(work, `spoiled-${_name.replace(/\W/g, '')}`);
    synthOrdersApp(dir);
    spoil(dir);
    expect(() => readAssembly(dir)).toThrow(message);
  });

  it('names a missing asset on the routes of its function', () => {
    const dir = path.join(work, 'no-asset');
    synthShopRestApp(dir, path.join(work, 'no-asset-src'));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'Shop.assets.json'), 'utf8')) as {
      files: Record<string, { displayName?: string; source: { path: string } }>;
    };
    const slow = Object.values(manifest.files).find((f) => f.displayName === 'Slow/Code')!;
    fs.rmSync(path.join(dir, slow.source.path), { recursive: true });
    const route = readAssembly(dir).apis[0].routes.find((r) => r.path === '/slow');
    expect(route?.functionId).toMatch(/^Slow[0-9A-F]{8}$/);
    expect(route?.unsupported).toBe(
      `the code asset of function ${route?.functionId} is missing (${path.join(dir, slow.source.path)})`,
    );
  });
});

describe('keygate local: stopping', () => {
  /** Process ids of the children of `pid` (Linux `ps`). */
  function childrenOf(pid: number): number[] {
    const out = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout;
    return out
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  }
  function descendantsOf(pid: number): number[] {
    return childrenOf(pid).flatMap((c) => [c, ...descendantsOf(c)]);
  }
  /** Running (a zombie, exited but not yet reaped by its new parent, counts as stopped). */
  function alive(pid: number): boolean {
    const stat = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
    return stat !== '' && !stat.startsWith('Z');
  }

  it('stops every server and function process when `npm run local` gets SIGTERM', async () => {
    // GIVEN `npm run local` serving the README app, with its authorizer and backend processes started
    const dir = path.join(work, 'stopping');
    synthOrdersApp(dir);
    const npm = spawn('npm', ['run', '--silent', 'local', '--', '--app', dir], {
      cwd: path.join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 200 && !output.includes('Ctrl-C stops everything'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const [httpUrl] = output.match(/http:\/\/127\.0\.0\.1:\d+/) ?? [];
    expect(httpUrl).toBeDefined();
    const token = 'a.b.c';
    expect((await get(`${httpUrl}/orders`, token)).status).toBe(401);
    const processes = descendantsOf(npm.pid!);
    // npm's shell, the command, and the authorizer's function process at least
    expect(processes.length).toBeGreaterThanOrEqual(3);

    // WHEN npm's own process is stopped
    process.kill(npm.pid!, 'SIGTERM');
    for (let i = 0; i < 100 && processes.some(alive); i++) await new Promise((r) => setTimeout(r, 100));

    // THEN none of them is left, and the port is closed
    expect(processes.filter(alive)).toEqual([]);
    await expect(fetch(`${httpUrl}/orders`)).rejects.toThrow();
  }, 60_000);
});
