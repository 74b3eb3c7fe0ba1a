/**
 * Step-up through the local gateway, with the real authorizer handler and verifier, real signed tokens
 * and the gateway's result cache: a caller whose sign-in falls short of a route gets 403 with the RFC 9470
 * challenge as WWW-Authenticate on a REST API (the ACCESS_DENIED gateway response SecuredRestApi deploys),
 * also when the answer is replayed from the cache for another route; an HTTP API has no such response.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import type { RouteSpec } from '../../common/route-model';
import { createHandler } from '../../lambda/authorizer/handler';
import { createTokenVerifier } from '../../lambda/authorizer/verify-token';
import type { ApiType } from '../../local/gateway/api-events';
import { startLocalGateway } from '../../local/gateway/local-gateway';
import type { LocalGateway } from '../../local/gateway/local-gateway';
import { request } from '../../local/http/request';
import type { JwksServer } from '../support/https-server';
import { startJwksServer } from '../support/https-server';
import type { TestKey } from '../support/keys';
import { generateSigningKey, jwksOf } from '../support/keys';
import { keycloakAccessToken, nowSeconds } from '../support/tokens';

const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/models', auth: 'keycloak' },
  {
    method: 'POST',
    path: '/models/{modelId}/fine-tune',
    auth: 'keycloak',
    requirement: { stepUp: { minLoa: 2, maxAgeSeconds: 900 } },
  },
];
const CHALLENGE =
  'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent sign-in is required", acr_values="gold", max_age=900';

describe.each<ApiType>(['rest', 'http'])('step-up behind the local %s API', (apiType) => {
  let jwks: JwksServer;
  let key: TestKey;
  let gateway: LocalGateway;
  let issuer: string;

  beforeAll(async () => {
    key = await generateSigningKey('RS256');
    jwks = await startJwksServer(jwksOf(key));
    issuer = `${jwks.url}/realms/keygate`;
    const config: AuthorizerConfig = {
      version: 1,
      issuers: [{ kind: 'keycloak', issuer, allowedClients: ['web'], acrLoaMap: { silver: 1, gold: 2 } }],
      routes: ROUTES,
      resultCacheTtlSeconds: 300,
    };
    const handler = createHandler({
      config: { ok: true, config },
      createVerifier: (c, events) => createTokenVerifier(c, { events, requestOptions: { ca: jwks.ca } }),
      log: { decision() {}, jwksFailure() {}, configInvalid() {} },
    });
    gateway = await startLocalGateway({
      routes: ROUTES,
      apiType,
      cacheTtlSeconds: 300,
      authorizer: (event) => handler(event),
      integration: async () => ({ statusCode: 200, headers: {}, body: 'ok', isBase64Encoded: false }),
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await jwks?.close();
  });

  const token = (acr: string) =>
    keycloakAccessToken(key, { issuer, azp: 'web', extra: { acr, auth_time: nowSeconds() - 60 } });
  const call = (method: string, path: string, tok: string) =>
    request(`${gateway.url}${path}`, { method, headers: { authorization: `Bearer ${tok}` }, body: '' });

  it('a level-2 sign-in reaches the fine-tune route', async () => {
    expect((await call('POST', '/models/m1/fine-tune', token('gold'))).status).toBe(200);
  });

  it('a level-1 sign-in is refused, with the challenge on a REST API, from a cached answer too', async () => {
    const silver = token('silver');
    // GIVEN an answer cached from another route
    expect((await call('GET', '/models', silver)).status).toBe(200);
    const hits = gateway.stats.cacheHits;
    // WHEN the same token calls the step-up route
    const res = await call('POST', '/models/m1/fine-tune', silver);
    // THEN the cached answer refuses it, and a REST API sends the challenge
    expect(gateway.stats.cacheHits).toBe(hits + 1);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(apiType === 'rest' ? CHALLENGE : undefined);
  });
});
