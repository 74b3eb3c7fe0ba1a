/**
 * `keygate local` over kinds the Keygate constructs do not deploy but a user's template may: a REST TOKEN
 * authorizer, HTTP API integrations with payload format 1.0, and an authorizer trusting two Keycloak realms
 * (a built-in issuer standing in for each).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveAssembly } from '../../local/assembly/serve-assembly';
import type { ServedAssembly } from '../../local/assembly/serve-assembly';
import type { GatewayRecord } from '../../local/gateway/local-gateway';
import { GRANTED_USER } from '../../local/assembly/assembly-issuer';
import { JWT_ISSUER, PARTNER_ISSUER, SHOP_ISSUER, synthOtherKindsApp } from './assembly-apps';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-local-kinds-'));
let served: ServedAssembly;
const records: GatewayRecord[] = [];

beforeAll(async () => {
  synthOtherKindsApp(work);
  served = await serveAssembly({ app: work, onRequest: (_api, r) => records.push(r) });
}, 60_000);
afterAll(async () => {
  await served?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const apiNamed = (name: string) => served.apis.find((a) => a.api.name === name)!;

async function get(url: string, authorization?: string) {
  const res = await fetch(url, { headers: authorization ? { authorization } : {} });
  return { status: res.status, body: await res.text() };
}

describe('keygate local: a REST API behind a TOKEN authorizer', () => {
  it('reads the authorizer as TOKEN with its validation expression; every route runs', () => {
    const { api } = apiNamed('TokenApi');
    expect(api.authorizer).toMatchObject({
      type: 'TOKEN',
      identityHeaders: ['Authorization'],
      validationExpression: 'allow-[a-z]+|deny-[a-z]+',
    });
    expect(api.routes.map((r) => `${r.method} ${r.path} ${r.auth} ${r.unsupported ?? 'runs'}`)).toEqual([
      'GET /hello keycloak runs',
    ]);
  });

  it('calls the function with the token and the method ARN alone, and passes its context on', async () => {
    const { url } = apiNamed('TokenApi');
    const ok = await get(`${url}/hello`, 'allow-ann');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ authorizer: { principalId: 'ann', name: 'ann' } });
  });

  it('answers 401 for a token the function refuses, and for one the expression refuses without a call', async () => {
    const { url } = apiNamed('TokenApi');
    records.length = 0;
    expect((await get(`${url}/hello`, 'deny-bob')).status).toBe(401);
    expect((await get(`${url}/hello`, 'Bearer x')).status).toBe(401);
    expect((await get(`${url}/hello`)).status).toBe(401);
    expect(records.map((r) => [r.reason, r.authorizerInvoked])).toEqual([
      ['authorizer_unauthorized', true],
      ['identity_source_invalid', false],
      ['identity_source_missing', false],
    ]);
  });
});

describe('keygate local: HTTP API integrations with payload format 1.0', () => {
  it('sends the 1.0 event (httpMethod, resource, multi-value headers)', async () => {
    const { url, api } = apiNamed('V1Api');
    expect(api.routes.map((r) => `${r.path} ${r.payloadFormat} ${r.unsupported ?? 'runs'}`).sort()).toEqual([
      '/v1 1.0 runs',
      '/v1/private 1.0 runs',
    ]);
    const res = await get(`${url}/v1`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({
      version: '1.0',
      httpMethod: 'GET',
      resource: '/v1',
      multiValueHeaders: true,
      authorizer: null,
    });
  });

  it("puts a Lambda authorizer's context under requestContext.authorizer.lambda", async () => {
    const res = await get(`${apiNamed('V1Api').url}/v1/private`, 'carol');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ version: '1.0', authorizer: { lambda: { name: 'carol' } } });
  });
});

describe('keygate local: an authorizer trusting two Keycloak realms', () => {
  it('starts a built-in issuer for each realm, named as deployed', () => {
    expect(served.issuers.map((i) => new URL(i.issuer).pathname)).toEqual([
      new URL(SHOP_ISSUER).pathname,
      new URL(PARTNER_ISSUER).pathname,
      new URL(JWT_ISSUER).pathname,
    ]);
    expect(new Set(served.issuers.map((i) => i.issuer)).size).toBe(3);
  });

  it("accepts each realm's tokens on the routes scoped to it, and only there", async () => {
    const { url } = served.apis.find((a) => a.api.routes.some((r) => r.path === '/partners'))!;
    const [shop, partner] = served.issuers;
    const shopper = await shop.mint({ username: GRANTED_USER });
    const partnerUser = await partner.mint({ username: GRANTED_USER });
    expect((await get(`${url}/shop`, `Bearer ${shopper}`)).status).toBe(200);
    expect((await get(`${url}/partners`, `Bearer ${partnerUser}`)).status).toBe(200);
    // The same role names in the other realm's token do not count.
    expect((await get(`${url}/partners`, `Bearer ${shopper}`)).status).toBe(403);
    expect((await get(`${url}/shop`, `Bearer ${partnerUser}`)).status).toBe(403);
  });
});

describe('keygate local: an HTTP API JWT authorizer', () => {
  const jwtIssuer = () => served.issuers.find((i) => i.issuer.endsWith('/realms/jwt'))!;
  const url = () => served.apis.find((a) => a.api.name === 'JwtApi')!.url;

  it('reads the authorizer and the route scopes; every route runs', () => {
    const { api } = served.apis.find((a) => a.api.name === 'JwtApi')!;
    expect(api.authorizer).toMatchObject({ type: 'JWT', jwt: { issuer: JWT_ISSUER, audience: ['jwt-api'] } });
    expect(
      api.routes.map((r) => `${r.path} ${JSON.stringify(r.scopes)} ${r.unsupported ?? 'runs'}`).sort(),
    ).toEqual(['/any [] runs', '/orders ["orders:read"] runs']);
  });

  it('passes a valid token with a route scope, and hands the claims over as requestContext.authorizer.jwt', async () => {
    const token = await jwtIssuer().mint({
      username: GRANTED_USER,
      claims: { scope: 'profile orders:read' },
    });
    const res = await get(`${url()}/orders`, `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      authorizer: { jwt: { claims: { iss: jwtIssuer().issuer }, scopes: ['profile', 'orders:read'] } },
    });
  });

  it.each([
    ['no scope of the route', { scope: 'profile' }, '/orders', 403],
    ['no scope needed', { scope: 'profile' }, '/any', 200],
    ['another audience', { aud: 'other-api' }, '/any', 401],
    ['client_id, no aud', { aud: undefined, client_id: 'jwt-api' }, '/any', 200],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 600 }, '/any', 401],
  ])('%s: %s %s → %i', async (_name, claims, route, status) => {
    const token = await jwtIssuer().mint({ username: GRANTED_USER, claims });
    expect((await get(`${url()}${route}`, `Bearer ${token}`)).status).toBe(status);
  });

  it("refuses another realm's token (401) and a missing token (401)", async () => {
    const shopToken = await served.issuers[0].mint({ username: GRANTED_USER, claims: { aud: 'jwt-api' } });
    expect((await get(`${url()}/any`, `Bearer ${shopToken}`)).status).toBe(401);
    expect((await get(`${url()}/any`)).status).toBe(401);
  });
});
