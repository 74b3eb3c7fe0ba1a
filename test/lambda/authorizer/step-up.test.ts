/**
 * Step-up per route through the whole pipeline: real signed Keycloak-shaped tokens (acr, amr, auth_time),
 * a JWKS over HTTPS, the real verifier and handler.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../../common/authorizer-config-validate';
import type { RouteSpec } from '../../../common/route-model';
import { STEP_UP_CONTEXT_KEY } from '../../../common/step-up';
import { createHandler } from '../../../lambda/authorizer/handler';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import type { IamPolicyResponse, SimpleResponse } from '../../../lambda/authorizer/build-response';
import type { JwksServer } from '../../support/https-server';
import { startJwksServer } from '../../support/https-server';
import type { TestKey } from '../../support/keys';
import { generateSigningKey, jwksOf } from '../../support/keys';
import { keycloakAccessToken } from '../../support/tokens';
import { apigwEvent, methodArn } from '../../fixtures/apigw/events';
import { RecordingLog, evaluatePolicy } from './pipeline-fixtures';

const FINE_TUNE = 'POST /models/{modelId}/fine-tune';
const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/me', auth: 'keycloak' },
  {
    method: 'GET',
    path: '/models',
    auth: 'keycloak',
    requirement: { allOf: { realmRoles: ['model-user'] } },
  },
  {
    method: 'POST',
    path: '/models/{modelId}/fine-tune',
    auth: 'keycloak',
    requirement: { allOf: { realmRoles: ['model-user'] }, stepUp: { minLoa: 2, maxAgeSeconds: 900 } },
  },
  { method: 'POST', path: '/keys', auth: 'keycloak', requirement: { stepUp: { amr: ['otp'] } } },
];
const ACR_LOA_MAP = { silver: 1, gold: 2, platinum: 3 };
/** Now: tokens are issued at T0 and verified against the real clock; step-up time is the handler's clock. */
const T0 = Math.floor(Date.now() / 1000);

describe('step-up per route, end to end', () => {
  let server: JwksServer;
  let key: TestKey;
  let issuer: string;

  beforeAll(async () => {
    key = await generateSigningKey('RS256');
    server = await startJwksServer(jwksOf(key));
    issuer = `${server.url}/realms/keygate`;
  });
  afterAll(async () => {
    await server.close();
  });

  function configWith(over: Partial<AuthorizerConfig> = {}): AuthorizerConfig {
    return {
      version: 1,
      issuers: [{ kind: 'keycloak', issuer, allowedClients: ['keygate-web'], acrLoaMap: ACR_LOA_MAP }],
      routes: ROUTES,
      resultCacheTtlSeconds: 300,
      ...over,
    };
  }

  function handlerAt(clock: { now: number }, over: Partial<AuthorizerConfig> = {}) {
    const log = new RecordingLog();
    const config = configWith(over);
    expect(validateAuthorizerConfig(config)).toEqual({ ok: true, config });
    const handler = createHandler({
      config: { ok: true, config },
      createVerifier: (c, events) => createTokenVerifier(c, { events, requestOptions: { ca: server.ca } }),
      log,
      now: () => clock.now * 1000,
    });
    return { handler, log };
  }

  /** A token issued at T0 (valid for an hour) for a sign-in `age` seconds before T0. */
  function token(o: { acr?: string; amr?: string[]; age?: number; roles?: string[] }): string {
    return keycloakAccessToken(key, {
      issuer,
      azp: 'keygate-web',
      iat: T0,
      lifetime: 3600,
      realmRoles: o.roles ?? ['model-user'],
      extra: { acr: o.acr ?? 'silver', amr: o.amr, auth_time: T0 - (o.age ?? 10) },
    });
  }

  async function call(h: ReturnType<typeof handlerAt>, tok: string, method: string, path: string) {
    const r = (await h.handler(
      apigwEvent('rest', { method, path, authorization: `Bearer ${tok}` }),
    )) as IamPolicyResponse;
    const decide = (m: string, p: string) =>
      evaluatePolicy(r.policyDocument.Statement, methodArn('rest', m, p));
    return { r, decide, line: h.log.lines[h.log.lines.length - 1] };
  }

  it('a level-2 sign-in within the age bound is allowed the fine-tune route; the policy grants it', async () => {
    const h = handlerAt({ now: T0 });
    const { decide, line, r } = await call(h, token({ acr: 'gold' }), 'POST', '/models/m1/fine-tune');
    expect(line).toMatchObject({ decision: 'allow', reason: 'allowed', route: FINE_TUNE });
    expect(decide('POST', '/models/m2/fine-tune')).toBe('allow');
    expect(decide('GET', '/models')).toBe('allow');
    expect(decide('POST', '/keys')).toBe('deny');
    expect(r.context[STEP_UP_CONTEXT_KEY]).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent sign-in is required with otp"',
    );
  });

  it('a level-1 sign-in is refused with step_up_required and an RFC 9470 challenge; other routes stay granted', async () => {
    const h = handlerAt({ now: T0 });
    const { decide, line, r } = await call(
      h,
      token({ acr: 'silver', amr: ['pwd', 'otp'] }),
      'POST',
      '/models/m1/fine-tune',
    );
    expect(line).toMatchObject({ decision: 'deny', reason: 'step_up_required', route: FINE_TUNE });
    expect(decide('POST', '/models/m1/fine-tune')).toBe('deny');
    expect(decide('GET', '/models')).toBe('allow');
    expect(decide('POST', '/keys')).toBe('allow');
    expect(r.context[STEP_UP_CONTEXT_KEY]).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent sign-in is required", acr_values="gold platinum", max_age=900',
    );
  });

  it('an acr the issuer never defined meets no level: acr_unknown', async () => {
    const h = handlerAt({ now: T0 });
    const { decide, line } = await call(h, token({ acr: 'diamond' }), 'POST', '/models/m1/fine-tune');
    expect(line).toMatchObject({ decision: 'deny', reason: 'acr_unknown' });
    expect(decide('GET', '/models')).toBe('allow');
  });

  it.each([
    ['a string amr', { amr: 'otp' }],
    ['a string auth_time', { auth_time: String(T0) }],
    ['a numeric acr', { acr: 2 }],
  ])('%s is taken as absent: refused with step_up_required, never a crash', async (_n, extra) => {
    const h = handlerAt({ now: T0 });
    const tok = keycloakAccessToken(key, {
      issuer,
      azp: 'keygate-web',
      iat: T0,
      lifetime: 3600,
      realmRoles: ['model-user'],
      extra: { acr: 'gold', amr: ['otp'], auth_time: T0, ...extra },
    });
    const path = 'amr' in extra ? '/keys' : '/models/m1/fine-tune';
    const { line } = await call(h, tok, 'POST', path);
    expect(line).toMatchObject({ decision: 'deny', reason: 'step_up_required' });
  });

  it('a caller without the route’s role is refused with route_forbidden, and no challenge names the route', async () => {
    const h = handlerAt({ now: T0 });
    const { line, r } = await call(
      h,
      token({ acr: 'silver', amr: ['otp'], roles: [] }),
      'POST',
      '/models/m1/fine-tune',
    );
    expect(line).toMatchObject({ decision: 'deny', reason: 'route_forbidden' });
    expect(r.context[STEP_UP_CONTEXT_KEY]).toBeUndefined();
  });

  it('max age: granted only while the sign-in stays within the bound for the whole cache TTL', async () => {
    // GIVEN a level-2 sign-in 500 s old and a 300 s result cache: 500 + 300 <= 900, granted
    const clock = { now: T0 };
    const h = handlerAt(clock);
    const tok = token({ acr: 'gold', age: 500 });
    expect((await call(h, tok, 'POST', '/models/m1/fine-tune')).line.reason).toBe('allowed');
    // WHEN the same token comes back 101 s later: 601 + 300 > 900, a cached grant could outlive the bound
    clock.now = T0 + 101;
    const later = await call(h, tok, 'POST', '/models/m1/fine-tune');
    // THEN it is refused, from the same warm container (the memos are keyed on the step-up results too)
    expect(later.line).toMatchObject({ decision: 'deny', reason: 'step_up_required' });
    expect(later.decide('POST', '/models/m1/fine-tune')).toBe('deny');
    expect(later.decide('GET', '/models')).toBe('allow');
    // AND back at the earlier instant the grant returns (no stale memo either way)
    clock.now = T0;
    expect((await call(h, tok, 'POST', '/models/m1/fine-tune')).line.reason).toBe('allowed');
  });

  it('with the result cache off the bound is exact and the challenge names the requested route only', async () => {
    const clock = { now: T0 + 889 };
    const h = handlerAt(clock, { resultCacheTtlSeconds: 0 });
    const tok = token({ acr: 'gold', age: 0 });
    expect((await call(h, tok, 'POST', '/models/m1/fine-tune')).line.reason).toBe('allowed');
    clock.now = T0 + 901;
    const late = await call(h, tok, 'POST', '/models/m1/fine-tune');
    expect(late.line.reason).toBe('step_up_required');
    expect(late.r.context[STEP_UP_CONTEXT_KEY]).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent sign-in is required", acr_values="gold platinum", max_age=900',
    );
    // A request on another route carries no challenge: the answer is for that request alone.
    const me = await call(h, tok, 'GET', '/me');
    expect(me.line.reason).toBe('allowed');
    expect(me.r.context[STEP_UP_CONTEXT_KEY]).toBeUndefined();
  });

  it('HTTP API simple responses: refused with isAuthorized false and the reason in the log', async () => {
    const h = handlerAt({ now: T0 }, { responseMode: 'simple' });
    const r = (await h.handler(
      apigwEvent('http-2.0', {
        method: 'POST',
        path: '/models/m1/fine-tune',
        authorization: `Bearer ${token({})}`,
      }),
    )) as SimpleResponse;
    expect(r.isAuthorized).toBe(false);
    expect(h.log.lines[0]).toMatchObject({ decision: 'deny', reason: 'step_up_required' });
  });
});
