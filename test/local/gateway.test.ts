/**
 * The local gateway end to end: the repository's app synthesized for the dev stage (once per test run) and
 * served from its assembly (serveStage), its authorizer and model backend run from their bundles.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import { IDENTITY_HEADERS } from '../../common/identity-context';
import type { AssemblyGatewayRecord } from '../../local/assembly/serve-assembly';
import { call, serviceAccountToken, userTokens } from '../../local/callers';
import type { TokenSet } from '../../local/callers';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';
import { stageApi } from '../../local/stage-api';
import type { StageApi } from '../../local/stage-api';

const STAGE: StageConfig = DEFAULT_APP_CONFIG.stages.dev;
const SENTIMENT = JSON.stringify({ input: 'I love this great product' });

describe('local gateway, end to end over HTTP (HTTP API, IAM policy responses)', () => {
  let served: ServedStage;
  let stack: StageApi;
  const records: AssemblyGatewayRecord[] = [];
  const tokens: Record<string, string> = {};
  let alice: TokenSet;

  beforeAll(async () => {
    // Caching off here so every request shows the authorizer's own decision; caching is tested below.
    served = await serveStage({
      stage: STAGE,
      buildLambdas: false,
      apiKinds: ['http'],
      cacheTtlSeconds: 0,
      onRequest: (_api, r) => records.push(r),
    });
    stack = stageApi(served, 'http');
    alice = await userTokens(stack, 'alice');
    tokens.alice = alice.access_token;
    tokens.bob = (await userTokens(stack, 'bob')).access_token;
    tokens['batch-scorer'] = (await serviceAccountToken(stack, 'batch-scorer')).access_token;
    tokens.expired = await stack.issuer.mint({ username: 'alice', expiresIn: -600 });
    tokens.refresh = alice.refresh_token as string;
    tokens.id = alice.id_token as string;
    tokens.refreshJwt = await stack.issuer.mint({ username: 'alice', claims: { typ: 'Refresh' } });
    tokens.garbage = 'not-a-jwt';
  });
  afterAll(async () => {
    await served?.close();
  });

  const last = () => records[records.length - 1];

  it.each([
    // caller, method, path, status, authorizer reason
    ['alice', 'GET', '/me', 200, 'allowed'],
    ['alice', 'GET', '/models', 200, 'allowed'],
    ['alice', 'POST', '/models/sentiment/invoke', 200, 'allowed'],
    ['alice', 'POST', '/models/keywords/invoke', 200, 'allowed'],
    ['alice', 'POST', '/models/unknown/invoke', 403, 'route_forbidden'],
    ['bob', 'GET', '/me', 200, 'allowed'],
    ['bob', 'GET', '/models', 200, 'allowed'],
    ['bob', 'POST', '/models/sentiment/invoke', 403, 'route_forbidden'],
    ['batch-scorer', 'GET', '/models', 200, 'allowed'],
    ['batch-scorer', 'POST', '/models/sentiment/invoke', 200, 'allowed'],
    ['batch-scorer', 'POST', '/models/keywords/invoke', 403, 'route_forbidden'],
    ['expired', 'GET', '/models', 401, 'token_expired'],
    ['refresh', 'GET', '/models', 401, undefined],
    ['refreshJwt', 'GET', '/models', 401, 'token_type_invalid'],
    ['id', 'GET', '/models', 401, 'token_type_invalid'],
    ['garbage', 'GET', '/models', 401, 'token_malformed'],
  ] as const)('%s: %s %s → %i (%s)', async (caller, method, path, status, reason) => {
    const res = await call(stack, method, path, {
      token: tokens[caller],
      body: method === 'POST' ? SENTIMENT : undefined,
    });
    expect(res.status).toBe(status);
    expect(last().authorizerInvoked).toBe(true);
    if (reason) expect(last().authorizerReason).toBe(reason);
    else expect(last().authorizerReason).toMatch(/^token_/);
    if (status === 401) expect(res.json()).toEqual({ message: 'Unauthorized' });
    if (status === 403) expect(res.json()).toEqual({ message: 'Forbidden' });
    expect(res.headers['apigw-requestid']).toBe(last().requestId);
  });

  it('runs the real backend with the identity the authorizer forwarded', async () => {
    const me = await call(stack, 'GET', '/me', { token: tokens['batch-scorer'] });
    expect(me.json()).toMatchObject({
      username: 'service-account-batch-scorer',
      clientId: 'batch-scorer',
      tokenKind: 'keycloak-service-account',
    });
    const list = await call(stack, 'GET', '/models', { token: tokens.bob });
    expect(list.json<{ models: unknown[] }>().models).toEqual([]);
    const out = await call(stack, 'POST', '/models/sentiment/invoke', {
      token: tokens.alice,
      body: SENTIMENT,
    });
    expect(out.json()).toMatchObject({ modelId: 'sentiment', kind: 'demo', output: { label: 'positive' } });
  });

  it('passes backend errors through: 400 for an invalid body, 404 for an unknown model the caller may call', async () => {
    const bad = await call(stack, 'POST', '/models/sentiment/invoke', {
      token: tokens.alice,
      body: '{"input":',
    });
    expect(bad.status).toBe(400);
    expect(last().reason).toBe('policy_allow');
  });

  it('answers 401 without calling the authorizer when the identity source is missing or empty', async () => {
    for (const headers of [{}, { authorization: '' }] as Record<string, string>[]) {
      const res = await call(stack, 'GET', '/models', { headers });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(last()).toMatchObject({ reason: 'identity_source_missing', authorizerInvoked: false });
    }
  });

  it('answers CORS preflights itself, with the headers only for an allowed origin', async () => {
    const allowed = STAGE.cors!.allowOrigins[0];
    const pre = (origin: string) =>
      call(stack, 'OPTIONS', '/models/sentiment/invoke', {
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
    const ok = await pre(allowed);
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe(allowed);
    expect(String(ok.headers['access-control-allow-headers'])).toContain('Authorization');
    expect(last()).toMatchObject({ reason: 'cors_preflight', authorizerInvoked: false });
    const other = await pre('https://evil.example');
    expect(other.status).toBe(204);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    for (const token of [tokens.alice, undefined]) {
      const res = await call(stack, 'GET', '/models', { token, headers: { origin: allowed } });
      expect(res.status).toBe(token ? 200 : 401);
      expect(res.headers['access-control-allow-origin']).toBe(allowed);
    }
  });

  it('answers 404 for a route that is not in the table, without calling anything', async () => {
    const res = await call(stack, 'GET', '/admin', { token: tokens.alice });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ message: 'Not Found' });
    expect(last()).toMatchObject({ reason: 'route_not_found', authorizerInvoked: false });
  });

  it.each([
    ['machine', 'GET', '/machine/models', 200, 'iam_allow'],
    ['machine', 'POST', '/machine/models/sentiment/invoke', 200, 'iam_allow'],
    ['outsider', 'GET', '/machine/models', 403, 'iam_not_authorized'],
    ['outsider', 'POST', '/machine/models/sentiment/invoke', 403, 'iam_not_authorized'],
  ] as const)('IAM %s: %s %s → %i (%s)', async (who, method, path, status, reason) => {
    const res = await call(stack, method, path, {
      iam: stack.iam[who],
      body: method === 'POST' ? SENTIMENT : undefined,
    });
    expect(res.status).toBe(status);
    expect(last()).toMatchObject({ reason, authorizerInvoked: false });
    if (status === 403)
      expect(res.json<{ message: string }>().message).toContain(
        `User: ${stack.iam[who].callerArn} is not authorized`,
      );
  });

  it('gives the backend the IAM caller: it lists the models the role was granted', async () => {
    const res = await call(stack, 'GET', '/machine/models', { iam: stack.iam.machine });
    expect(res.json<{ models: { id: string }[] }>().models.map((m) => m.id)).toEqual([
      'sentiment',
      'keywords',
    ]);
  });

  it.each([
    ['unsigned', {}, 'Forbidden', 'sigv4_missing'],
    ['a bearer token', { token: 'x' }, 'Authorization header requires', 'sigv4_malformed'],
    ['a wrong secret', { iam: 'wrong-secret' }, 'does not match the signature', 'sigv4_mismatch'],
    ['a stale signature', { iam: 'stale' }, 'Signature expired', 'sigv4_expired'],
  ] as const)('refuses an IAM route call with %s: 403', async (_name, how, message, reason) => {
    const m = stack.iam.machine;
    const res = await call(stack, 'GET', '/machine/models', {
      ...('token' in how ? { token: how.token } : {}),
      ...('iam' in how
        ? {
            iam: how.iam === 'wrong-secret' ? { ...m, secretAccessKey: 'wrong' } : m,
            signedAt: how.iam === 'stale' ? new Date(Date.now() - 20 * 60_000) : undefined,
          }
        : {}),
    });
    expect(res.status).toBe(403);
    expect(res.json<{ message: string }>().message).toContain(message);
    expect(last().reason).toBe(reason);
  });

  it('refuses a SigV4-signed call on a token route (401: not a bearer token)', async () => {
    const res = await call(stack, 'GET', '/models', { iam: stack.iam.machine });
    expect(res.status).toBe(401);
    expect(last().authorizerInvoked).toBe(true);
    expect(last().authorizerReason).toMatch(/^token_/);
  });
});

describe('local gateway: API Gateway result caching', () => {
  let served: ServedStage;
  let stack: StageApi;
  let clock = Date.now();
  let invocations = 0;
  const records: AssemblyGatewayRecord[] = [];

  beforeAll(async () => {
    served = await serveStage({
      stage: STAGE,
      buildLambdas: false,
      apiKinds: ['http'],
      cacheTtlSeconds: 300,
      now: () => clock,
      onAuthorizerInvoked: () => invocations++,
      onRequest: (_api, r) => records.push(r),
    });
    stack = stageApi(served, 'http');
  });
  afterAll(async () => {
    await served?.close();
  });

  it('calls the authorizer once per identity-source value within the TTL, and applies the cached policy to every route', async () => {
    const alice = (await userTokens(stack, 'alice')).access_token;
    const bob = (await userTokens(stack, 'bob')).access_token;
    const before = invocations;
    expect((await call(stack, 'GET', '/models', { token: alice })).status).toBe(200);
    expect((await call(stack, 'GET', '/me', { token: alice })).status).toBe(200);
    expect(
      (await call(stack, 'POST', '/models/keywords/invoke', { token: alice, body: SENTIMENT })).status,
    ).toBe(200);
    expect(invocations - before).toBe(1);
    expect(stack.gateway.stats.authorizerInvocations).toBe(invocations);

    // bob's cached policy, made on GET /models, must still deny the invoke route (no widening) ...
    expect((await call(stack, 'GET', '/models', { token: bob })).status).toBe(200);
    expect(
      (await call(stack, 'POST', '/models/sentiment/invoke', { token: bob, body: SENTIMENT })).status,
    ).toBe(403);
    // ... and a policy first made on a denied route must still allow the routes bob may call (no narrowing).
    const bob2 = (await userTokens(stack, 'bob')).access_token;
    expect(
      (await call(stack, 'POST', '/models/sentiment/invoke', { token: bob2, body: SENTIMENT })).status,
    ).toBe(403);
    expect((await call(stack, 'GET', '/me', { token: bob2 })).status).toBe(200);
    expect(invocations - before).toBe(3);
    expect(records.filter((r) => r.cacheHit).length).toBeGreaterThanOrEqual(4);
  });

  it('keeps per-model grants exact across cached routes', async () => {
    const sa = (await serviceAccountToken(stack, 'batch-scorer')).access_token;
    const before = invocations;
    expect(
      (await call(stack, 'POST', '/models/sentiment/invoke', { token: sa, body: SENTIMENT })).status,
    ).toBe(200);
    expect(
      (await call(stack, 'POST', '/models/keywords/invoke', { token: sa, body: SENTIMENT })).status,
    ).toBe(403);
    expect(
      (await call(stack, 'POST', '/models/sentiment/invoke', { token: sa, body: SENTIMENT })).status,
    ).toBe(200);
    expect(invocations - before).toBe(1);
  });

  it('calls the authorizer again once the TTL has passed', async () => {
    const token = (await userTokens(stack, 'alice')).access_token;
    const before = invocations;
    await call(stack, 'GET', '/models', { token });
    clock += 299_000;
    await call(stack, 'GET', '/models', { token });
    expect(invocations - before).toBe(1);
    clock += 2_000;
    await call(stack, 'GET', '/models', { token });
    expect(invocations - before).toBe(2);
  });

  it('does not cache 401s: each request with a refused token calls the authorizer', async () => {
    const expired = await stack.issuer.mint({ username: 'alice', expiresIn: -600 });
    const before = invocations;
    for (let i = 0; i < 3; i++)
      expect((await call(stack, 'GET', '/models', { token: expired })).status).toBe(401);
    expect(invocations - before).toBe(3);
  });
});

describe('local gateway: identity headers', () => {
  let served: ServedStage;
  let stack: StageApi;
  const seen: unknown[] = [];

  beforeAll(async () => {
    served = await serveStage({
      stage: STAGE,
      buildLambdas: false,
      apiKinds: ['http'],
      // Every route answered in process, so the test reads the very event the gateway built.
      replaceIntegrations: {
        all: {
          invoke: async (event) => {
            seen.push(event);
            return {
              statusCode: 200,
              headers: { 'content-type': 'application/json' },
              body: '{}',
              isBase64Encoded: false,
            };
          },
        },
      },
    });
    stack = stageApi(served, 'http');
  });
  afterAll(async () => {
    await served?.close();
  });

  it('maps the authorizer context to x-keygate-* headers, overwriting the ones the client sent', async () => {
    const forged = Object.fromEntries(Object.values(IDENTITY_HEADERS).map((h) => [h, 'forged']));
    const token = (await userTokens(stack, 'alice')).access_token;
    expect((await call(stack, 'GET', '/me', { token, headers: forged })).status).toBe(200);
    const event = seen.pop() as {
      headers: Record<string, string>;
      requestContext: { authorizer: { lambda: Record<string, string> } };
    };
    const user = stack.issuer.realm.users.get('alice')!;
    expect(event.headers[IDENTITY_HEADERS.sub]).toBe(user.id);
    expect(event.headers[IDENTITY_HEADERS.username]).toBe('alice');
    expect(event.headers[IDENTITY_HEADERS.clientId]).toBe(STAGE.keycloak.peopleClientId);
    expect(Object.values(event.headers)).not.toContain('forged');
    expect(event.requestContext.authorizer.lambda.sub).toBe(user.id);
  });

  it('drops client-sent identity headers on IAM routes and passes the IAM identity instead', async () => {
    const forged = Object.fromEntries(Object.values(IDENTITY_HEADERS).map((h) => [h, 'forged']));
    expect(
      (await call(stack, 'GET', '/machine/models', { iam: stack.iam.machine, headers: forged })).status,
    ).toBe(200);
    const event = seen.pop() as {
      headers: Record<string, string>;
      requestContext: { authorizer: { iam: Record<string, string> } };
    };
    for (const h of Object.values(IDENTITY_HEADERS)) expect(event.headers[h]).toBeUndefined();
    expect(event.requestContext.authorizer.iam).toMatchObject({
      userArn: stack.iam.machine.callerArn,
      accessKey: stack.iam.machine.accessKeyId,
    });
  });
});

describe('local gateway: REST API semantics', () => {
  let served: ServedStage;
  let stack: StageApi;
  beforeAll(async () => {
    served = await serveStage({ stage: STAGE, buildLambdas: false, apiKinds: ['rest'], cacheTtlSeconds: 0 });
    stack = stageApi(served, 'rest');
  });
  afterAll(async () => {
    await served?.close();
  });

  // Refusals in the REST API's own gateway responses (SecuredRestApi): API Gateway's message, an error code
  // and the request id (an API route's denial names no sign-in URL).
  it.each([
    ['a person with the role', 'alice', 'POST', '/models/sentiment/invoke', 200, undefined],
    [
      'a person without it',
      'bob',
      'POST',
      '/models/sentiment/invoke',
      403,
      { error: 'forbidden', message: 'Forbidden', signIn: '' },
    ],
    ['no token', undefined, 'GET', '/models', 401, { error: 'unauthorized', message: 'Unauthorized' }],
    [
      'an unknown route',
      'alice',
      'GET',
      '/admin',
      403,
      { error: 'missing_authentication', message: 'Missing Authentication Token' },
    ],
  ] as const)('%s', async (_name, user, method, path, status, refusal) => {
    const token = user ? (await userTokens(stack, user)).access_token : undefined;
    const res = await call(stack, method, path, { token, body: method === 'POST' ? SENTIMENT : undefined });
    expect(res.status).toBe(status);
    const requestId = res.headers['x-amzn-requestid'];
    expect(requestId).toBeTruthy();
    if (refusal) expect(res.json()).toEqual({ ...refusal, requestId });
  });

  it('signs IAM routes; unsigned calls get "Missing Authentication Token"', async () => {
    expect((await call(stack, 'GET', '/machine/models', { iam: stack.iam.machine })).status).toBe(200);
    const res = await call(stack, 'GET', '/machine/models');
    expect(res.status).toBe(403);
    expect(res.json()).toEqual({
      error: 'missing_authentication',
      message: 'Missing Authentication Token',
      requestId: res.headers['x-amzn-requestid'],
    });
  });
});

describe('local gateway: HTTP API simple responses', () => {
  let served: ServedStage;
  let stack: StageApi;
  let invocations = 0;
  beforeAll(async () => {
    // A cached simple answer holds for every value of a path parameter, so with the cache on no route may
    // bind one (the authorizer refuses such a table): here the invoke route names its roles literally.
    const routes = STAGE.routes.map((r) =>
      r.path.startsWith('/models/{modelId}/') && r.auth === 'keycloak'
        ? {
            ...r,
            requirement: {
              anyOf: {
                realmRoles: ['model:sentiment:invoke', 'model:keywords:invoke'],
                clientRoles: ['keygate-api:model:sentiment:invoke'],
              },
            },
          }
        : r,
    );
    const stage: StageConfig = {
      ...STAGE,
      routes,
      authorizer: { ...STAGE.authorizer, responseMode: 'simple' },
    };
    // The stage's own result cache (300 s) as the app deploys it.
    served = await serveStage({
      stage,
      buildLambdas: false,
      apiKinds: ['http'],
      onAuthorizerInvoked: () => invocations++,
    });
    stack = stageApi(served, 'http');
  });
  afterAll(async () => {
    await served?.close();
  });

  it('refuses to serve a route that binds a parameter while the cache is on', async () => {
    const stage: StageConfig = { ...STAGE, authorizer: { ...STAGE.authorizer, responseMode: 'simple' } };
    await expect(serveStage({ stage, buildLambdas: false, apiKinds: ['http'] })).rejects.toThrow(
      "keygate.stages.dev.authorizer.cacheTtlSeconds must be 0 with responseMode 'simple': routes[2] binds a path parameter, and a cached simple answer would hold for every value of it",
    );
  });

  it('adds the route key to the identity sources, so each route is decided (and cached) on its own', async () => {
    const bob = (await userTokens(stack, 'bob')).access_token;
    expect((await call(stack, 'GET', '/models', { token: bob })).status).toBe(200);
    expect(
      (await call(stack, 'POST', '/models/sentiment/invoke', { token: bob, body: SENTIMENT })).status,
    ).toBe(403);
    expect((await call(stack, 'GET', '/models', { token: bob })).status).toBe(200);
    expect(invocations).toBe(2);
  });
});
