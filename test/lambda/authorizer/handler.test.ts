import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECISION_MESSAGE } from '../../../common/decision-log';
import type { AuthorizerConfig } from '../../../common/authorizer-config';
import { createHandler } from '../../../lambda/authorizer/handler';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import type { JwksServer } from '../../support/https-server';
import { startJwksServer } from '../../support/https-server';
import type { TestKey } from '../../support/keys';
import { generateEncryptionJwk, generateSigningKey, jwksOf } from '../../support/keys';
import {
  keycloakAccessToken,
  keycloakIdToken,
  keycloakServiceAccountToken,
  nowSeconds,
} from '../../support/tokens';
import type { HandlerDeps } from '../../../lambda/authorizer/handler';
import type { IamPolicyResponse, SimpleResponse } from '../../../lambda/authorizer/build-response';
import { createDecisionLog } from '../../../lambda/authorizer/decision-log';
import type { DecisionLog } from '../../../lambda/authorizer/decision-log';
import type { TokenVerifier } from '../../../lambda/authorizer/types';
import type { EventKind } from '../../fixtures/apigw/events';
import { EVENT_KINDS, apigwEvent, methodArn } from '../../fixtures/apigw/events';
import { ISSUER, PRINCIPALS, RecordingLog, config, evaluatePolicy, tableVerifier } from './pipeline-fixtures';
import { captureLogs, rawLogText } from './stdout-capture';

const TOKENS = Object.fromEntries(Object.entries(PRINCIPALS).map(([n, p]) => [`tok.${n}.sig`, p]));

function setup(over: Partial<HandlerDeps> & { verifier?: TokenVerifier } = {}) {
  const log = (over.log as RecordingLog | undefined) ?? new RecordingLog();
  const verifier = over.verifier ?? tableVerifier(TOKENS);
  const handler = createHandler({
    config: over.config ?? { ok: true, config: config() },
    createVerifier: over.createVerifier ?? (() => verifier),
    log,
    clock: over.clock,
    metrics: over.metrics,
  });
  return { handler, log, verifier };
}

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return await p;
  } catch (e) {
    return e;
  }
}

describe('createHandler', () => {
  describe.each(EVENT_KINDS)('%s', (kind: EventKind) => {
    it('allows a caller on a route it may call, with one allow log line', async () => {
      const { handler, log } = setup();
      const r = (await handler(
        apigwEvent(kind, { authorization: 'Bearer tok.bob.sig', requestId: 'req-1' }),
      )) as IamPolicyResponse;
      expect(evaluatePolicy(r.policyDocument.Statement, methodArn(kind, 'GET', '/models'))).toBe('allow');
      expect(r.principalId).toBe('bob');
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]).toMatchObject({
        requestId: 'req-1',
        decision: 'allow',
        reason: 'allowed',
        route: 'GET /models',
        facts: { iss: 'https://sso.example.com/realms/keygate', kid: 'k1', sub: 'bob', azp: 'keygate-web' },
      });
      expect(typeof log.lines[0].durationMs).toBe('number');
    });

    it('403: a verified caller without permission gets a policy that does not allow the route', async () => {
      const { handler, log } = setup();
      const r = (await handler(
        apigwEvent(kind, {
          method: 'POST',
          path: '/models/keywords/invoke',
          authorization: 'Bearer tok.alice.sig',
        }),
      )) as IamPolicyResponse;
      expect(
        evaluatePolicy(r.policyDocument.Statement, methodArn(kind, 'POST', '/models/keywords/invoke')),
      ).toBe('deny');
      expect(log.lines[0]).toMatchObject({
        decision: 'deny',
        reason: 'route_forbidden',
        route: 'POST /models/{modelId}/invoke',
      });
    });

    it.each([
      ['no token', null, 'token_missing'],
      ['a Basic credential', 'Basic YTpi', 'token_malformed'],
      ['two tokens', ['Bearer tok.bob.sig', 'Bearer tok.alice.sig'], 'token_ambiguous'],
      ['a token the verifier refuses', 'Bearer tok.forged.sig', 'signature_invalid'],
    ] as const)('401: %s', async (_n, authorization, reason) => {
      const { handler, log } = setup();
      const e = await outcome(handler(apigwEvent(kind, { authorization })));
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toBe('Unauthorized');
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]).toMatchObject({ decision: 'unauthorized', reason, route: 'GET /models' });
    });
  });

  it('without createVerifier it verifies with the production verifier (an untrusted iss is refused unfetched)', async () => {
    const log = new RecordingLog();
    const handler = createHandler({ config: { ok: true, config: config() }, log });
    const key = await generateSigningKey('RS256');
    const token = keycloakAccessToken(key, {
      issuer: 'https://elsewhere.example/realms/x',
      azp: 'keygate-web',
    });
    const e = await outcome(handler(apigwEvent('rest', { authorization: `Bearer ${token}` })));
    expect((e as Error).message).toBe('Unauthorized');
    expect(log.lines[0]).toMatchObject({ decision: 'unauthorized', reason: 'issuer_untrusted' });
  });

  it('HTTP 2.0 simple mode answers isAuthorized per route', async () => {
    const { handler } = setup({ config: { ok: true, config: config({ responseMode: 'simple' }) } });
    const yes = (await handler(
      apigwEvent('http-2.0', { authorization: 'Bearer tok.bob.sig' }),
    )) as SimpleResponse;
    const no = (await handler(
      apigwEvent('http-2.0', { path: '/admin/reports', authorization: 'Bearer tok.bob.sig' }),
    )) as SimpleResponse;
    expect(yes.isAuthorized).toBe(true);
    expect(no.isAuthorized).toBe(false);
    expect(yes.context.sub).toBe('bob');
  });

  it('an unrecognised event is denied (401) and logged with its request id', async () => {
    const { handler, log } = setup();
    const e = await outcome(
      handler({
        type: 'TOKEN',
        authorizationToken: 'Bearer tok.bob.sig',
        requestContext: { requestId: 'r9' },
      }),
    );
    expect((e as Error).message).toBe('Unauthorized');
    expect(log.lines).toEqual([
      expect.objectContaining({ decision: 'unauthorized', reason: 'event_unrecognized', requestId: 'r9' }),
    ]);
  });

  it('an invalid config denies every request and logs one error for the container', async () => {
    const { handler, log, verifier } = setup({
      config: { ok: false, errors: ['KEYGATE_CONFIG: issuers must be a non-empty array'] },
    });
    for (let i = 0; i < 5; i++) {
      const e = await outcome(
        handler(apigwEvent(EVENT_KINDS[i % 3], { authorization: 'Bearer tok.admin.sig' })),
      );
      expect((e as Error).message).toBe('Unauthorized');
    }
    expect(log.configErrors).toEqual([['KEYGATE_CONFIG: issuers must be a non-empty array']]);
    expect(log.lines.map((l) => l.reason)).toEqual(Array(5).fill('config_invalid'));
    expect((verifier as ReturnType<typeof tableVerifier>).calls).toBe(0);
  });

  it('a verifier that cannot be built is a config error, once', async () => {
    const { handler, log } = setup({
      createVerifier: () => {
        throw new TypeError('bad issuer');
      },
    });
    await outcome(handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' })));
    await outcome(handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' })));
    expect(log.configErrors).toHaveLength(1);
    expect(log.lines.map((l) => l.reason)).toEqual(['config_invalid', 'config_invalid']);
  });

  it('a verifier that throws (it must not) is a fail-closed internal error, never an allow or another error', async () => {
    const { handler, log } = setup({
      verifier: {
        verify: async () => {
          throw new RangeError('claim value alice@example.com out of range');
        },
      },
    });
    const e = await outcome(handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' })));
    expect((e as Error).message).toBe('Unauthorized');
    expect(log.lines).toEqual([
      expect.objectContaining({
        decision: 'unauthorized',
        reason: 'internal_error',
        errorType: 'RangeError',
      }),
    ]);
    expect(JSON.stringify(log.lines)).not.toContain('alice@example.com');
  });

  it('a verifier that throws Error("Unauthorized") itself is still an internal error in the log', async () => {
    const { handler, log } = setup({
      verifier: {
        verify: async () => {
          throw new Error('Unauthorized');
        },
      },
    });
    const e = await outcome(handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' })));
    expect((e as Error).message).toBe('Unauthorized');
    expect(log.lines[0].reason).toBe('internal_error');
  });

  it('a failing logger or metrics sink does not change the decision', async () => {
    const broken: DecisionLog = {
      decision: () => {
        throw new Error('log down');
      },
      jwksFailure: () => {},
      configInvalid: () => {},
    };
    const handler = createHandler({
      config: { ok: true, config: config() },
      createVerifier: () => tableVerifier(TOKENS),
      log: broken,
      metrics: {
        decision: () => {
          throw new Error('metrics down');
        },
        jwksFailure: () => {},
      },
    });
    const r = (await handler(
      apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' }),
    )) as IamPolicyResponse;
    expect(evaluatePolicy(r.policyDocument.Statement, methodArn('rest', 'GET', '/models'))).toBe('allow');
    const e = await outcome(handler(apigwEvent('rest', { authorization: null })));
    expect((e as Error).message).toBe('Unauthorized');
  });

  it('reports decisions to the metrics sink', async () => {
    const seen: string[] = [];
    const { handler } = setup({
      metrics: { decision: (d, r) => seen.push(`${d}:${r}`), jwksFailure: () => {} },
    });
    await handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' }));
    await outcome(handler(apigwEvent('rest', { authorization: null })));
    expect(seen).toEqual(['allow:allowed', 'unauthorized:token_missing']);
  });

  it('passes JWKS failures from the verifier to the log', async () => {
    const log = new RecordingLog();
    createHandler({
      config: { ok: true, config: config() },
      createVerifier: (_c, events) => {
        events.jwksFetchFailed?.('https://sso.example.com/realms/keygate', 'timeout');
        return tableVerifier(TOKENS);
      },
      log,
    });
    expect(log.jwks).toEqual([{ issuer: 'https://sso.example.com/realms/keygate', reason: 'timeout' }]);
  });

  it('a repeated token is answered from the verified-claims cache until its exp, without the signature check', async () => {
    // The cache lives in the verifier (keyed by the token's SHA-256, so the token itself is not kept).
    const key = await generateSigningKey('RS256');
    let nowMs = Math.floor(Date.now() / 1000) * 1000;
    const counter = { signatures: 0 };
    const log = new RecordingLog();
    const handler = createHandler({
      config: { ok: true, config: config({ clockSkewSeconds: 0 }) },
      createVerifier: (c) =>
        createTokenVerifier(c, {
          jwks: { [ISSUER]: jwksOf(key) },
          now: () => nowMs,
          onSignatureVerification: () => counter.signatures++,
        }),
      log,
      now: () => nowMs,
    });
    const iat = Math.floor(nowMs / 1000);
    const [a, b] = ['bob', 'alice'].map((sub) =>
      keycloakAccessToken(key, { issuer: ISSUER, sub, azp: 'keygate-web', iat, lifetime: 100 }),
    );
    const call = (t: string) => outcome(handler(apigwEvent('rest', { authorization: `Bearer ${t}` })));
    await call(a);
    await call(a);
    expect(counter.signatures).toBe(1);
    expect(log.lines.map((l) => l.cached)).toEqual([false, true]);
    await call(b); // another token: verified
    expect(counter.signatures).toBe(2);
    await call(a); // still remembered (the cache holds many tokens, least recently used evicted first)
    expect(counter.signatures).toBe(2);
    nowMs += 100_000; // at exp: never answered from memory
    await call(a);
    expect(counter.signatures).toBe(3);
  });

  it('with verifiedCacheSize 0 every request is verified', async () => {
    const verifier = tableVerifier(TOKENS);
    const handler = createHandler({
      config: { ok: true, config: config({ verifiedCacheSize: 0 }) },
      createVerifier: () => verifier,
      log: new RecordingLog(),
    });
    for (let i = 0; i < 3; i++) await handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' }));
    expect(verifier.calls).toBe(3);
  });

  it('a refused token is never remembered', async () => {
    const verifier = tableVerifier(TOKENS);
    const handler = createHandler({
      config: { ok: true, config: config() },
      createVerifier: () => verifier,
      log: new RecordingLog(),
    });
    for (let i = 0; i < 2; i++)
      await outcome(handler(apigwEvent('rest', { authorization: 'Bearer tok.forged.sig' })));
    expect(verifier.calls).toBe(2);
  });

  it('a repeated token gets an equal response on this stage and its own on another stage', async () => {
    const { handler } = setup();
    const a = await handler(apigwEvent('rest', { authorization: 'Bearer tok.alice.sig' }));
    const b = await handler(apigwEvent('rest', { path: '/me', authorization: 'Bearer tok.alice.sig' }));
    const other = await handler(
      apigwEvent('rest', { path: '/me', authorization: 'Bearer tok.alice.sig', stage: 'beta' }),
    );
    expect(b).toEqual(a);
    expect(other).not.toEqual(a);
    expect(JSON.stringify(other)).toContain('/beta/GET/me');
  });

  describe('with the Powertools decision log', () => {
    it('writes one JSON line per request with the decision fields and the request id as correlation id', async () => {
      const token = 'tok.alice.sig';
      const lines = await captureLogs(async () => {
        const { handler } = setup({
          log: createDecisionLog(),
        });
        await handler(apigwEvent('http-2.0', { authorization: `Bearer ${token}`, requestId: 'Kg-1' }));
        await outcome(
          handler(apigwEvent('http-2.0', { authorization: 'Bearer tok.forged.sig', requestId: 'Kg-2' })),
        );
      });
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({
        level: 'INFO',
        message: DECISION_MESSAGE,
        service: 'keygate-authorizer',
        correlation_id: 'Kg-1',
        decision: 'allow',
        reason: 'allowed',
        route: 'GET /models',
        iss: 'https://sso.example.com/realms/keygate',
        kid: 'k1',
        sub: 'alice',
        azp: 'keygate-web',
        cachedClaims: false,
      });
      expect(typeof lines[0].durationMs).toBe('number');
      expect(lines[1]).toMatchObject({
        correlation_id: 'Kg-2',
        decision: 'unauthorized',
        reason: 'signature_invalid',
      });
      // Never the token, its signature or claims beyond the listed facts.
      const text = rawLogText(lines);
      expect(text).not.toContain(token);
      expect(text).not.toContain('forged');
      expect(text).not.toContain('model:sentiment:invoke');
    });

    it('passes the Lambda context into the lines (function fields, cold start on the first invocation only)', async () => {
      const context = {
        functionName: 'fn',
        invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:fn',
        memoryLimitInMB: '256',
        awsRequestId: 'a-1',
      };
      const lines = await captureLogs(async () => {
        const { handler } = setup({ log: createDecisionLog() });
        await handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' }), context);
        await handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' }), {
          ...context,
          awsRequestId: 'a-2',
        });
      });
      expect(lines.map((l) => [l.function_request_id, l.cold_start, l.function_name])).toEqual([
        ['a-1', true, 'fn'],
        ['a-2', false, 'fn'],
      ]);
    });

    it('an invalid config writes exactly one ERROR line however many requests follow', async () => {
      const lines = await captureLogs(async () => {
        const { handler } = setup({
          config: { ok: false, errors: ['KEYGATE_CONFIG is not valid JSON'] },
          log: createDecisionLog(),
        });
        for (let i = 0; i < 4; i++)
          await outcome(handler(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' })));
      });
      const errors = lines.filter((l) => l.level === 'ERROR');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        reason: 'config_invalid',
        errors: ['KEYGATE_CONFIG is not valid JSON'],
      });
      expect(
        lines.filter((l) => l.message === DECISION_MESSAGE && l.reason === 'config_invalid'),
      ).toHaveLength(4);
    });
  });
});

describe('createHandler end to end: real signed tokens, JWKS over HTTPS, the real verifier', () => {
  let server: JwksServer;
  let key: TestKey;
  let issuer: string;
  const REALM = '/realms/keygate';

  beforeAll(async () => {
    key = await generateSigningKey('RS256');
    server = await startJwksServer(jwksOf(key, await generateEncryptionJwk()));
    issuer = server.url + REALM;
  });
  afterAll(async () => {
    await server.close();
  });

  function realHandler(log = new RecordingLog(), over: Partial<AuthorizerConfig> = {}) {
    const handler = createHandler({
      config: {
        ok: true,
        config: config({
          issuers: [{ kind: 'keycloak', issuer, allowedClients: ['keygate-web', 'batch-scorer'] }],
          ...over,
        }),
      },
      createVerifier: (c, events) => createTokenVerifier(c, { events, requestOptions: { ca: server.ca } }),
      log,
    });
    return { handler, log };
  }

  const alice = () =>
    keycloakAccessToken(key, {
      issuer,
      azp: 'keygate-web',
      sub: 'alice-sub',
      username: 'alice',
      realmRoles: ['model-user', 'model:sentiment:invoke', 'default-roles-keygate'],
    });
  const scorer = () =>
    keycloakServiceAccountToken(key, {
      issuer,
      clientId: 'batch-scorer',
      sub: 'svc-sub',
      extra: { resource_access: { 'keygate-api': { roles: ['model-user', 'model:keywords:invoke'] } } },
    });

  it.each(EVENT_KINDS)(
    '%s: a user token allows exactly its routes; the policy decides the others',
    async (kind) => {
      const { handler, log } = realHandler();
      const r = (await handler(
        apigwEvent(kind, {
          method: 'POST',
          path: '/models/sentiment/invoke',
          authorization: `Bearer ${alice()}`,
        }),
      )) as IamPolicyResponse;
      expect(r.principalId).toBe('alice-sub');
      expect(r.context).toMatchObject({
        sub: 'alice-sub',
        username: 'alice',
        clientId: 'keygate-web',
        issuer,
        tokenKind: 'keycloak-user',
      });
      const verdict = (m: string, p: string) =>
        evaluatePolicy(r.policyDocument.Statement, methodArn(kind, m, p));
      expect(verdict('POST', '/models/sentiment/invoke')).toBe('allow');
      expect(verdict('GET', '/models')).toBe('allow');
      expect(verdict('POST', '/models/keywords/invoke')).toBe('deny');
      expect(verdict('GET', '/admin/reports')).toBe('deny');
      expect(log.lines[0]).toMatchObject({
        decision: 'allow',
        reason: 'allowed',
        facts: { iss: issuer, kid: key.kid, sub: 'alice-sub', azp: 'keygate-web' },
      });
    },
  );

  it('a service-account token with client roles gets its per-model route, 403 on another', async () => {
    const { handler, log } = realHandler();
    const token = scorer();
    const ok = (await handler(
      apigwEvent('http-2.0', {
        method: 'POST',
        path: '/models/keywords/invoke',
        authorization: `Bearer ${token}`,
      }),
    )) as IamPolicyResponse;
    expect(ok.context.tokenKind).toBe('keycloak-service-account');
    expect(
      evaluatePolicy(ok.policyDocument.Statement, methodArn('http-2.0', 'POST', '/models/keywords/invoke')),
    ).toBe('allow');
    await handler(
      apigwEvent('http-2.0', {
        method: 'POST',
        path: '/models/sentiment/invoke',
        authorization: `Bearer ${token}`,
      }),
    );
    expect(log.lines.map((l) => [l.decision, l.reason, l.cached])).toEqual([
      ['allow', 'allowed', false],
      ['deny', 'route_forbidden', true],
    ]);
  });

  it('roles holding `*`, `?` or `/` never reach a policy resource (a real token, end to end)', async () => {
    const { handler } = realHandler();
    const token = keycloakAccessToken(key, {
      issuer,
      azp: 'keygate-web',
      realmRoles: ['model-user', 'model:*:invoke', 'model:a/b:invoke', 'model:?:invoke', '*'],
      extra: { resource_access: { 'keygate-api': { roles: ['model:*:invoke', 'model:x/y:invoke'] } } },
    });
    const r = (await handler(apigwEvent('rest', { authorization: `Bearer ${token}` }))) as IamPolicyResponse;
    const resources = r.policyDocument.Statement.flatMap((st) =>
      st.Resource.map((res) => `${st.Effect} ${res}`),
    );
    expect(resources.filter((x) => x.startsWith('Allow'))).toEqual([
      `Allow ${methodArn('rest', 'GET', '/me')}`,
      `Allow ${methodArn('rest', 'GET', '/models')}`,
    ]);
    for (const m of ['sentiment', 'a', 'x', '*']) {
      expect(
        evaluatePolicy(r.policyDocument.Statement, methodArn('rest', 'POST', `/models/${m}/invoke`)),
      ).toBe('deny');
    }
    expect(r.context.roles.split(' ')).toEqual(['model-user']);
  });

  it('simple mode with a real token', async () => {
    const { handler } = realHandler(new RecordingLog(), { responseMode: 'simple' });
    const token = alice();
    expect(
      await handler(
        apigwEvent('http-2.0', {
          method: 'POST',
          path: '/models/sentiment/invoke',
          authorization: `Bearer ${token}`,
        }),
      ),
    ).toMatchObject({
      isAuthorized: true,
    });
    expect(
      await handler(
        apigwEvent('http-2.0', {
          method: 'POST',
          path: '/models/keywords/invoke',
          authorization: `Bearer ${token}`,
        }),
      ),
    ).toMatchObject({
      isAuthorized: false,
    });
  });

  it.each([
    [
      'expired',
      () => keycloakAccessToken(key, { issuer, azp: 'keygate-web', iat: nowSeconds() - 3600 }),
      'token_expired',
    ],
    [
      'from another realm',
      () => keycloakAccessToken(key, { issuer: server.url + '/realms/other', azp: 'keygate-web' }),
      'issuer_untrusted',
    ],
    [
      'for another client',
      () => keycloakAccessToken(key, { issuer, azp: 'someone-else' }),
      'client_not_allowed',
    ],
    ['an ID token', () => keycloakIdToken(key, { issuer, azp: 'keygate-web' }), 'token_type_invalid'],
    [
      'with a flipped signature',
      () => alice().slice(0, -4) + (alice().endsWith('AAAA') ? 'BBBB' : 'AAAA'),
      'signature_invalid',
    ],
  ])('401 for a token %s, with its reason in the log', async (_n, make, reason) => {
    const { handler, log } = realHandler();
    const e = await outcome(handler(apigwEvent('rest', { authorization: `Bearer ${make()}` })));
    expect((e as Error).message).toBe('Unauthorized');
    expect(log.lines[0]).toMatchObject({ decision: 'unauthorized', reason });
  });

  it('the IdP down on first need: 401 jwks_unavailable and one JWKS failure line', async () => {
    const other = await startJwksServer(jwksOf(key));
    try {
      other.behave({ status: 503 });
      const otherIssuer = other.url + REALM;
      const log = new RecordingLog();
      const handler = createHandler({
        config: {
          ok: true,
          config: config({
            issuers: [{ kind: 'keycloak', issuer: otherIssuer, allowedClients: ['keygate-web'] }],
          }),
        },
        createVerifier: (c, events) => createTokenVerifier(c, { events, requestOptions: { ca: other.ca } }),
        log,
      });
      const e = await outcome(
        handler(
          apigwEvent('rest', {
            authorization: `Bearer ${keycloakAccessToken(key, { issuer: otherIssuer, azp: 'keygate-web' })}`,
          }),
        ),
      );
      expect((e as Error).message).toBe('Unauthorized');
      expect(log.lines[0]).toMatchObject({ decision: 'unauthorized', reason: 'jwks_unavailable' });
      expect(log.jwks.length).toBeGreaterThanOrEqual(1);
      expect(log.jwks[0].issuer).toBe(otherIssuer);
    } finally {
      await other.close();
    }
  });

  it('the decision log never holds the token or its signature', async () => {
    const token = alice();
    const lines = await captureLogs(async () => {
      const { handler } = realHandler(createDecisionLog() as unknown as RecordingLog);
      await handler(apigwEvent('rest', { authorization: `Bearer ${token}` }));
      await outcome(handler(apigwEvent('rest', { authorization: `Bearer ${token.slice(0, -2)}xx` })));
    });
    const text = rawLogText(lines);
    expect(lines).toHaveLength(2);
    expect(text).not.toContain(token.split('.')[2]);
    expect(text).not.toContain(token.split('.')[1]);
    expect(text).not.toContain('default-roles-keygate');
  });
});
