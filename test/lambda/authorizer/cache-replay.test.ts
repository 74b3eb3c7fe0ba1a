/**
 * Replays API Gateway's authorizer result cache. API Gateway keys a cached response on the identity-source
 * values only (the token; plus the route key in simple mode), and applies it to whatever route the next
 * request with the same values calls: an IAM policy is evaluated against that route's method ARN, a simple
 * response is taken as is. For every principal, every first request whose response gets cached, and every
 * later request, the cached answer must equal the one the route table gives.
 */
import { describe, expect, it } from 'vitest';
import { matchRoute, routeKey, validateRoutes } from '../../../common/route-model';
import { createHandler } from '../../../lambda/authorizer/handler';
import type { IamPolicyResponse, SimpleResponse } from '../../../lambda/authorizer/build-response';
import type { EventKind } from '../../fixtures/apigw/events';
import { apigwEvent, methodArn } from '../../fixtures/apigw/events';
import { isCanonicalPath } from '../../../common/canonical-path';
import {
  PRINCIPALS,
  REQUESTS,
  RecordingLog,
  config,
  evaluatePolicy,
  tableVerifier,
} from './pipeline-fixtures';

const tokens = Object.fromEntries(Object.entries(PRINCIPALS).map(([name, p]) => [`tok.${name}.sig`, p]));
const names = Object.keys(PRINCIPALS);

function handlerFor(responseMode: 'iam' | 'simple' = 'iam') {
  return createHandler({
    config: { ok: true, config: config({ responseMode }) },
    createVerifier: () => tableVerifier(tokens),
    log: new RecordingLog(),
  });
}

/** What the authorizer answers for one request, uncached: allow, or deny (403, or a 401 for a path that is not canonical). */
async function fresh(
  kind: EventKind,
  name: string,
  method: string,
  path: string,
  mode: 'iam' | 'simple' = 'iam',
) {
  const h = handlerFor(mode);
  const event = apigwEvent(kind, { method, path, authorization: `Bearer tok.${name}.sig` });
  if (!isCanonicalPath(path)) {
    await expect(h(event)).rejects.toThrow('Unauthorized');
    return 'deny';
  }
  const r = await h(event);
  if ('isAuthorized' in r) return r.isAuthorized ? 'allow' : 'deny';
  return evaluatePolicy(r.policyDocument.Statement, methodArn(kind, method, path));
}

describe('cache replay', () => {
  it('the requests reach every Keycloak route, and each principal meets an allow and a deny, so every replay below can fail', () => {
    const routes = config().routes;
    expect(validateRoutes(routes)).toEqual([]);
    const reached = new Set(
      REQUESTS.map((r) => matchRoute(routes, r.method, r.path))
        .filter((m) => m?.route.auth === 'keycloak')
        .map((m) => routeKey(m!.route)),
    );
    const keycloakRoutes = routes.filter((r) => r.auth === 'keycloak').map(routeKey);
    expect([...reached].sort()).toEqual([...new Set(keycloakRoutes)].sort());
    const outcomes = names.map((name) => [
      name,
      REQUESTS.some((r) => r.allowed.includes(name)),
      REQUESTS.some((r) => !r.allowed.includes(name)),
    ]);
    expect(outcomes).toEqual(names.map((name) => [name, true, true]));
  });

  describe.each(['rest', 'http-1.0', 'http-2.0'] as const)('%s, IAM policy responses', (kind) => {
    it.each(names)('%s: a fresh decision on every request matches the table', async (name) => {
      for (const req of REQUESTS) {
        const expected = req.allowed.includes(name) ? 'allow' : 'deny';
        expect({ req, got: await fresh(kind, name, req.method, req.path) }).toEqual({ req, got: expected });
      }
    });

    it.each(names)(
      '%s: the policy cached on any request decides every other request correctly',
      async (name) => {
        const h = handlerFor();
        let compared = 0;
        // A 401 is not cached: only canonical requests leave a response to replay.
        const cachedFirsts = REQUESTS.filter((r) => isCanonicalPath(r.path));
        for (const first of cachedFirsts) {
          // GIVEN the response cached for this token after a request on `first`
          const cachedResponse = (await h(
            apigwEvent(kind, {
              method: first.method,
              path: first.path,
              authorization: `Bearer tok.${name}.sig`,
            }),
          )) as IamPolicyResponse;
          expect(cachedResponse.principalId).toBe(PRINCIPALS[name].sub);
          for (const next of REQUESTS) {
            // WHEN API Gateway applies it to `next`; THEN it answers exactly as the route table does
            const expected = next.allowed.includes(name) ? 'allow' : 'deny';
            const got = evaluatePolicy(
              cachedResponse.policyDocument.Statement,
              methodArn(kind, next.method, next.path),
            );
            expect({
              first: `${first.method} ${first.path}`,
              next: `${next.method} ${next.path}`,
              got,
            }).toEqual({
              first: `${first.method} ${first.path}`,
              next: `${next.method} ${next.path}`,
              got: expected,
            });
            compared++;
          }
        }
        expect(cachedFirsts).toHaveLength(REQUESTS.length - 3);
        expect(compared).toBe(cachedFirsts.length * REQUESTS.length);
      },
    );

    it('a policy never reaches another stage or API', async () => {
      const r = (await handlerFor()(
        apigwEvent(kind, { authorization: 'Bearer tok.admin.sig' }),
      )) as IamPolicyResponse;
      for (const req of REQUESTS) {
        expect(
          evaluatePolicy(
            r.policyDocument.Statement,
            methodArn(kind, req.method, req.path, { stage: 'other' }),
          ),
        ).toBe('deny');
        expect(
          evaluatePolicy(
            r.policyDocument.Statement,
            methodArn(kind, req.method, req.path, { apiId: 'otherapi01' }),
          ),
        ).toBe('deny');
      }
    });
  });

  describe('http-2.0, simple responses (route key among the identity sources)', () => {
    /** Canonical requests on keycloak routes that bind nothing, plus a second path for each such route. */
    const unbound = [
      ...REQUESTS,
      { method: 'GET', path: '/reports/q4', allowed: ['admin', 'analyst'] },
      { method: 'GET', path: '/reports/q4/raw', allowed: ['admin'] },
      { method: 'DELETE', path: '/cache/xyz', allowed: ['admin'] },
      { method: 'GET', path: '/files/z.txt', allowed: ['admin'] },
    ].filter((r) => isCanonicalPath(r.path) && !r.path.startsWith('/models/'));
    const keyOf = (r: { method: string; path: string }) => {
      const m = matchRoute(config().routes, r.method, r.path);
      return m?.route.auth === 'keycloak' ? routeKey(m.route) : undefined;
    };

    it.each(names)(
      '%s: a decision cached per (token, route key) is right for every request on that route key',
      async (name) => {
        const h = handlerFor('simple');
        let replayed = 0;
        for (const first of unbound) {
          // GIVEN the answer cached for this token and the route key of `first`
          const cachedResponse = (await h(
            apigwEvent('http-2.0', {
              method: first.method,
              path: first.path,
              authorization: `Bearer tok.${name}.sig`,
            }),
          )) as SimpleResponse;
          expect({ first, allowed: cachedResponse.isAuthorized }).toEqual({
            first,
            allowed: first.allowed.includes(name),
          });
          // WHEN API Gateway answers another request with the same route key from it; THEN the answer is
          // the one the table gives that request
          for (const next of unbound) {
            if (next === first || keyOf(next) === undefined || keyOf(next) !== keyOf(first)) continue;
            expect({ first, next, allowed: cachedResponse.isAuthorized }).toEqual({
              first,
              next,
              allowed: next.allowed.includes(name),
            });
            replayed++;
          }
        }
        // Four routes with two requests each: /reports/{reportId}, its /raw, /cache/{key}, /files/{path+}.
        expect(replayed).toBe(8);
      },
    );

    it('on a route that binds a path parameter, one route key covers paths with different answers (so caching must be off)', async () => {
      const sentiment = await fresh('http-2.0', 'alice', 'POST', '/models/sentiment/invoke', 'simple');
      const keywords = await fresh('http-2.0', 'alice', 'POST', '/models/keywords/invoke', 'simple');
      // Same token, same route key `POST /models/{modelId}/invoke`, different answers: a cached simple
      // response would be wrong for one of them. The construct refuses a cache TTL in this case.
      expect([sentiment, keywords]).toEqual(['allow', 'deny']);
    });
  });
});

describe('cache replay with usage tiers', () => {
  const KEYS: Record<string, string> = {
    'arn:secret:free': 'FreeKeyValue0000000000000000000000000001',
    'arn:secret:team': 'TeamKeyValue0000000000000000000000000002',
  };
  const usage = {
    defaultTier: 'free',
    assignments: [{ group: '/staff', tier: 'team' }],
    keySecrets: { free: 'arn:secret:free', team: 'arn:secret:team' },
  };

  it.each(names)(
    '%s: the usage key cached with the policy is the one every other request of the token gets',
    async (name) => {
      // GIVEN an authorizer with usage tiers (the key is cached with the policy, per token)
      const h = createHandler({
        config: { ok: true, config: config({ usage }) },
        createVerifier: () => tableVerifier(tokens),
        log: new RecordingLog(),
        readSecret: (id) => Promise.resolve(KEYS[id]),
      });
      // WHEN the token calls every route, THEN one key answers them all: a function of the token alone
      const keys = new Set<string | undefined>();
      // (A path that is not canonical gets a 401 before any answer: nothing is cached for it.)
      for (const req of REQUESTS.filter((q) => isCanonicalPath(q.path))) {
        const r = (await h(
          apigwEvent('rest', { method: req.method, path: req.path, authorization: `Bearer tok.${name}.sig` }),
        )) as IamPolicyResponse;
        keys.add(r.usageIdentifierKey);
      }
      const expected = PRINCIPALS[name].groups.includes('/staff')
        ? KEYS['arn:secret:team']
        : KEYS['arn:secret:free'];
      expect([...keys]).toEqual([expected]);
    },
  );
});
