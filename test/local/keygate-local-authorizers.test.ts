/**
 * `keygate local` over authorizer kinds beyond the Keygate constructs': an HTTP API Lambda authorizer with
 * payload format 1.0 (what aws-cdk writes for a policy-answering HttpLambdaAuthorizer), one API whose
 * routes name three different authorizers (each with its own result cache), a JWT authorizer of a plain
 * OpenID Connect issuer (discovery over real HTTPS on 127.0.0.1, tokens signed with generated keys), and a
 * REST streaming route without authorization.
 */
import * as fs from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serveAssembly } from '../../local/assembly/serve-assembly';
import type { ServedAssembly } from '../../local/assembly/serve-assembly';
import type { GatewayRecord } from '../../local/gateway/local-gateway';
import { banner } from '../../local/keygate-cli';
import { generateSigningKey, jwksOf } from '../support/keys';
import type { TestKey } from '../support/keys';
import { testCertificate } from '../support/https-server';
import { nowSeconds, signJws } from '../support/tokens';
import { synthAuthorizersApp } from './assembly-apps-authorizers';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-local-authorizers-'));
let served: ServedAssembly;
let oidc: { server: Server; issuer: string; key: TestKey; ecKey: TestKey; paths: string[] };
const records: GatewayRecord[] = [];

/** An OpenID Connect issuer at `https://127.0.0.1:<port>/oidc`: its discovery document and its JWKS. */
async function startOidcIssuer(): Promise<typeof oidc> {
  const { key: tlsKey, cert } = await testCertificate();
  fs.writeFileSync(path.join(work, 'oidc-ca.pem'), cert);
  const key = await generateSigningKey('RS256');
  // Published too, yet API Gateway verifies RSA signatures only.
  const ecKey = await generateSigningKey('ES256');
  const paths: string[] = [];
  let issuer = '';
  const server = createServer({ key: tlsKey, cert }, (req, res) => {
    paths.push(req.url ?? '');
    const body =
      req.url === '/oidc/.well-known/openid-configuration'
        ? { issuer, jwks_uri: `${issuer}/keys`, token_endpoint: `${issuer}/token` }
        : req.url === '/oidc/keys'
          ? jwksOf(key, ecKey)
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}/oidc`;
  return { server, issuer, key, ecKey, paths };
}

beforeAll(async () => {
  oidc = await startOidcIssuer();
  synthAuthorizersApp(work, oidc.issuer);
  served = await serveAssembly({
    app: work,
    keycloakCaFile: path.join(work, 'oidc-ca.pem'),
    onRequest: (_api, r) => records.push(r),
  });
}, 60_000);
afterAll(async () => {
  await served?.close();
  oidc?.server.closeAllConnections();
  await new Promise((resolve) => oidc?.server.close(resolve));
  fs.rmSync(work, { recursive: true, force: true });
});
beforeEach(() => {
  records.length = 0;
});

const apiNamed = (name: string) => served.apis.find((a) => a.api.name === name)!;

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text() };
}

const calls = () => records.map((r) => `${r.path} ${r.status} ${r.reason} ${r.authorizerInvoked}`);

describe('keygate local: an HTTP API Lambda authorizer with payload format 1.0', () => {
  it('reads the authorizer as payload 1.0 with its header; every route runs', () => {
    const { api } = apiNamed('V1AuthApi');
    expect(api.authorizers).toHaveLength(1);
    expect(api.authorizers[0]).toMatchObject({
      type: 'REQUEST',
      payloadFormat: '1.0',
      responseMode: 'iam',
      identityHeaders: ['X-Api-Token'],
      cacheTtlSeconds: 300,
    });
    expect(api.routes.map((r) => `${r.path} ${r.unsupported ?? 'runs'}`).sort()).toEqual([
      '/a runs',
      '/b runs',
    ]);
  });

  it('sends the 1.0 event (methodArn, identitySource as a string, multi-value headers) and passes its context on', async () => {
    const { url, gateway } = apiNamed('V1AuthApi');
    const res = await get(`${url}/a`, { 'x-api-token': 'allow-ann' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      authorizer: {
        lambda: {
          version: '1.0',
          type: 'REQUEST',
          identitySource: '"allow-ann"',
          authorizationToken: 'allow-ann',
          methodArn: `arn:aws:execute-api:eu-west-1:000000000000:${gateway.api.apiId}/$default/GET/a`,
          routeArn: 'none',
          resource: '/a',
          httpMethod: 'GET',
          multiValueHeaders: 'true',
        },
      },
    });
  });

  it('evaluates the cached policy against the next route: allowed for /a only, so /b is refused without a call', async () => {
    const { url } = apiNamed('V1AuthApi');
    expect((await get(`${url}/a`, { 'x-api-token': 'allow-bea' })).status).toBe(200);
    expect((await get(`${url}/a`, { 'x-api-token': 'allow-bea' })).status).toBe(200);
    expect((await get(`${url}/b`, { 'x-api-token': 'allow-bea' })).status).toBe(403);
    expect(calls()).toEqual([
      '/a 200 policy_allow true',
      '/a 200 policy_allow false',
      '/b 403 policy_deny false',
    ]);
  });

  it('answers 403 for a Deny, 401 for Unauthorized and for a missing identity source (no call)', async () => {
    const { url } = apiNamed('V1AuthApi');
    expect((await get(`${url}/a`, { 'x-api-token': 'deny-cy' })).status).toBe(403);
    expect((await get(`${url}/a`, { 'x-api-token': 'nobody' })).status).toBe(401);
    expect((await get(`${url}/a`, { authorization: 'allow-ann' })).status).toBe(401);
    expect(calls()).toEqual([
      '/a 403 policy_deny true',
      '/a 401 authorizer_unauthorized true',
      '/a 401 identity_source_missing false',
    ]);
  });
});

describe('keygate local: an authorizer keyed on a header and a query-string parameter', () => {
  it('reads both identity sources in order', () => {
    expect(apiNamed('TenantApi').api.authorizers[0]).toMatchObject({
      identityHeaders: ['X-Api-Token'],
      identitySources: [
        { in: 'header', name: 'X-Api-Token' },
        { in: 'query', name: 'tenant' },
      ],
    });
  });

  it('needs both (401 without a call otherwise), passes them joined, and caches per pair of values', async () => {
    const { url } = apiNamed('TenantApi');
    const token = { 'x-api-token': 'allow-fay' };
    expect((await get(`${url}/orders`, token)).status).toBe(401);
    expect((await get(`${url}/orders?tenant=`, token)).status).toBe(401);
    const res = await get(`${url}/orders?tenant=acme`, token);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      authorizer: { lambda: { identitySource: '"allow-fay,acme"', authorizationToken: 'allow-fay,acme' } },
    });
    expect((await get(`${url}/orders?tenant=acme&x=1`, token)).status).toBe(200);
    expect((await get(`${url}/orders?tenant=globex`, token)).status).toBe(200);
    expect(calls()).toEqual([
      '/orders 401 identity_source_missing false',
      '/orders 401 identity_source_missing false',
      '/orders 200 policy_allow true',
      '/orders 200 policy_allow false',
      '/orders 200 policy_allow true',
    ]);
  });
});

describe('keygate local: routes of one API naming different authorizers', () => {
  it('reads four authorizers, each route naming its own', () => {
    const { api } = apiNamed('MixedApi');
    expect(api.authorizers.map((a) => `${a.type} ${a.payloadFormat ?? '-'} ${a.responseMode}`)).toEqual([
      'REQUEST - simple',
      'REQUEST 1.0 iam',
      'REQUEST 1.0 iam',
      'JWT - simple',
    ]);
    const names = new Map(api.authorizers.map((a, i) => [a.id, i]));
    expect(
      api.routes.map((r) => `${r.path} ${names.get(r.authorizerId!)} ${r.unsupported ?? 'runs'}`).sort(),
    ).toEqual(['/claims 3 runs', '/orders 3 runs', '/team 0 runs', '/token 1 runs', '/wide 2 runs']);
  });

  it("calls each route's own authorizer, each caching its own answer for the same header value", async () => {
    const { url } = apiNamed('MixedApi');
    // Two policy authorizers read the same X-Team header: one cache would replay the wide Allow to /token.
    const team = { 'x-team': 'team-a' };
    expect((await get(`${url}/wide`, team)).status).toBe(200);
    expect((await get(`${url}/token`, team)).status).toBe(401);
    expect((await get(`${url}/team`, team)).status).toBe(200);
    expect((await get(`${url}/wide`, team)).status).toBe(200);
    expect((await get(`${url}/team`, team)).status).toBe(200);
    expect((await get(`${url}/token`, { 'x-team': 'allow-dan' })).status).toBe(200);
    expect((await get(`${url}/team`, { 'x-team': 'allow-dan' })).status).toBe(403);
    expect(calls()).toEqual([
      '/wide 200 policy_allow true',
      '/token 401 authorizer_unauthorized true',
      '/team 200 simple_allow true',
      '/wide 200 policy_allow false',
      '/team 200 simple_allow false',
      '/token 200 policy_allow true',
      '/team 403 simple_deny true',
    ]);
  });

  it('passes each authorizer its own event: the simple one payload 2.0, the policy one 1.0', async () => {
    const { url } = apiNamed('MixedApi');
    const res = await get(`${url}/token`, { 'x-team': 'allow-eve' });
    expect(JSON.parse(res.body)).toMatchObject({
      authorizer: { lambda: { version: '1.0', resource: '/token' } },
    });
    expect(JSON.parse((await get(`${url}/team`, { 'x-team': 'team-a' })).body)).toEqual({
      authorizer: { lambda: { team: 'team-a' } },
    });
  });
});

describe('keygate local: a JWT authorizer of an OpenID Connect issuer', () => {
  const url = () => apiNamed('MixedApi').url;
  const token = (claims: Record<string, unknown>, key: TestKey = oidc.key) =>
    signJws(
      key,
      Object.fromEntries(
        Object.entries({
          iss: oidc.issuer,
          sub: 'user-1',
          aud: 'orders-api',
          iat: nowSeconds(),
          exp: nowSeconds() + 300,
          scope: 'openid orders:read',
          ...claims,
        }).filter(([, v]) => v !== undefined),
      ),
      { alg: key.alg, typ: 'JWT', kid: key.kid },
    );

  it('starts no stand-in for it: the issuer is used as deployed, as the banner says', () => {
    expect(served.issuers.map((i) => i.issuer)).toEqual([]);
    const lines = banner(served).split('\n');
    expect(lines.filter((l) => l.includes('MixedApi'))).toEqual([
      `  HTTP API MixedApi  ${apiNamed('MixedApi').url}  (4 authorizers, caches 300 s / 300 s / 300 s / 0 s)`,
    ]);
    expect(lines.filter((l) => l.includes('JWT issuer'))).toEqual([
      `    JWT issuer ${oidc.issuer}, as deployed (keys from its discovery document)`,
    ]);
  });

  it('discovers the JWKS through the issuer, verifies the token and hands the claims over', async () => {
    const res = await get(`${url()}/orders`, { authorization: `Bearer ${token({})}` });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      authorizer: { jwt: { claims: { iss: oidc.issuer, sub: 'user-1' }, scopes: ['openid', 'orders:read'] } },
    });
    expect(oidc.paths.slice(0, 2)).toEqual(['/oidc/.well-known/openid-configuration', '/oidc/keys']);
  });

  it.each([
    ['no scope of the route', { scope: 'openid' }, '/orders', 403],
    ['no scope needed', { scope: 'openid' }, '/claims', 200],
    ['the token alone, no Bearer', {}, '/claims', 200],
    ['another audience', { aud: 'other-api' }, '/claims', 401],
    ['client_id, no aud', { aud: undefined, client_id: 'orders-api' }, '/claims', 200],
    ['another client_id, no aud', { aud: undefined, client_id: 'other' }, '/claims', 401],
    ['another issuer', { iss: 'https://127.0.0.1/other' }, '/claims', 401],
    ['expired', { exp: nowSeconds() - 600 }, '/claims', 401],
    ['not yet valid', { nbf: nowSeconds() + 600 }, '/claims', 401],
    ['issued in the future', { iat: nowSeconds() + 600 }, '/claims', 401],
  ])('%s: %s %s → %i', async (name, claims, route, status) => {
    const t = token(claims);
    const value = name.includes('no Bearer') ? t : `Bearer ${t}`;
    expect((await get(`${url()}${route}`, { authorization: value })).status).toBe(status);
  });

  it('refuses a token signed with a key the issuer does not publish, an ES256 one it does, and a missing token (401)', async () => {
    expect((await get(`${url()}/claims`, { authorization: `Bearer ${token({}, oidc.ecKey)}` })).status).toBe(
      401,
    );
    const stranger = await generateSigningKey('RS256');
    expect((await get(`${url()}/claims`, { authorization: `Bearer ${token({}, stranger)}` })).status).toBe(
      401,
    );
    expect((await get(`${url()}/claims`)).status).toBe(401);
  });

  it('reads the discovery document once for all requests', () => {
    expect(oidc.paths.filter((p) => p.endsWith('/openid-configuration'))).toHaveLength(1);
  });
});

describe('keygate local: a REST streaming route without authorization', () => {
  it("runs it, relaying the function's stream (its prelude as status and headers, chunked body)", async () => {
    const { url, api } = apiNamed('StreamApi');
    expect(
      api.routes.map((r) => `${r.method} ${r.path} ${r.auth} ${r.streaming} ${r.unsupported ?? 'runs'}`),
    ).toEqual(['GET /stream none true runs']);
    const res = await fetch(`${url}/stream`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
      chunks.push(decoder.decode(chunk));
    expect(chunks.join('')).toBe('one two three');
    expect(calls()).toEqual(['/stream 200 public_route false']);
  });
});
