/**
 * The revocation bound, end to end through the request pipeline and a replay of API Gateway's result
 * cache (local/gateway/result-cache.ts), on a fake clock: for any bound N, result cache TTL T <= N,
 * revocation time and sequence of requests on any routes, every answer given N seconds or more after
 * the logout refuses the logged-out session (from the cache or fresh), and before the logout every
 * answer (cached or fresh) is exactly the route table's. The cache-replay property of the route table
 * (cache-replay.test.ts) therefore still holds with revocation on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { revocationKey } from '../../../common/revocation';
import { createHandler } from '../../../lambda/authorizer/handler';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import { MemoryRevocationStore } from '../../../lambda/revocation/revocation-store';
import { AuthorizerResultCache } from '../../../local/gateway/result-cache';
import { apigwEvent, methodArn } from '../../fixtures/apigw/events';
import {
  ISSUER,
  PRINCIPALS,
  REQUESTS,
  RecordingLog,
  config,
  evaluatePolicy,
  tableVerifier,
} from './pipeline-fixtures';

const START = Math.floor(Date.now() / 1000) * 1000;

const scenario = fc.record({
  bound: fc.integer({ min: 1, max: 20 }),
  ttlShare: fc.double({ min: 0, max: 1, noNaN: true }),
  kind: fc.constantFrom('rest' as const, 'http-1.0' as const),
  revokeBy: fc.constantFrom('sid' as const, 'sub' as const),
  revokeAtMs: fc.integer({ min: 1000, max: 30_000 }),
  requests: fc.array(
    fc.record({ gapMs: fc.integer({ min: 0, max: 3_000 }), route: fc.nat({ max: REQUESTS.length - 1 }) }),
    { minLength: 1, maxLength: 80 },
  ),
});

describe('revocation bound', () => {
  it('a logged-out session is refused from N seconds after the logout on, and untouched before it', async () => {
    let checkedAfterBound = 0;
    let checkedBefore = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const ttl = Math.floor(s.ttlShare * s.bound);
        let ms = START;
        const now = () => ms;
        const alice = { ...PRINCIPALS.alice, issuedAt: START / 1000 - 10, sessionId: 'sid-a' };
        const store = new MemoryRevocationStore();
        const handler = createHandler({
          config: {
            ok: true,
            config: config({ resultCacheTtlSeconds: ttl, revocation: { boundSeconds: s.bound } }),
          },
          createVerifier: () => tableVerifier({ 'tok.alice.sig': alice }),
          log: new RecordingLog(),
          revocationStore: store,
          now,
          clock: now,
        });
        const cache = new AuthorizerResultCache<IamPolicyResponse>(ttl, now);
        const revokeAt = START + s.revokeAtMs;
        let revoked = false;
        let afterBound = 0;
        for (const r of s.requests) {
          ms += r.gapMs;
          if (!revoked && ms >= revokeAt) {
            revoked = true;
            const value = s.revokeBy === 'sid' ? 'sid-a' : 'alice';
            await store.revoke([
              {
                key: revocationKey(ISSUER, s.revokeBy, value),
                revokedAt: Math.floor(revokeAt / 1000),
                expiresAt: Math.floor(revokeAt / 1000) + 3600,
              },
            ]);
          }
          const req = REQUESTS[r.route];
          let policy = cache.get('tok.alice.sig');
          if (policy === undefined) {
            try {
              policy = (await handler(
                apigwEvent(s.kind, {
                  method: req.method,
                  path: req.path,
                  authorization: 'Bearer tok.alice.sig',
                }),
              )) as IamPolicyResponse;
              cache.set('tok.alice.sig', policy);
            } catch {
              policy = undefined; // 401: API Gateway caches nothing
            }
          }
          const got = policy
            ? evaluatePolicy(policy.policyDocument.Statement, methodArn(s.kind, req.method, req.path))
            : 'unauthorized';
          if (!revoked) {
            checkedBefore++;
            // A path that is not canonical is refused with a 401 when asked, denied when replayed.
            if (req.allowed.includes('alice')) expect(got).toBe('allow');
            else expect(['deny', 'unauthorized']).toContain(got);
          } else if (ms >= revokeAt + s.bound * 1000) {
            afterBound++;
            expect(got).not.toBe('allow');
          }
        }
        checkedAfterBound += afterBound;
      }),
      // The worst case first: the list read just after the previous cached answer expired and before the
      // logout, an answer from that entry near its end, replayed by the result cache past the bound.
      {
        numRuns: 300,
        examples: [
          [
            {
              bound: 10,
              ttlShare: 0.5,
              kind: 'rest',
              revokeBy: 'sid',
              revokeAtMs: 1000,
              requests: [
                { gapMs: 0, route: 0 },
                { gapMs: 9000, route: 0 },
                { gapMs: 2500, route: 0 },
              ],
            },
          ],
        ],
      },
    );
    // The runs did reach both sides of the logout (the property is not vacuous).
    expect(checkedAfterBound).toBeGreaterThan(100);
    expect(checkedBefore).toBeGreaterThan(100);
  });

  it('the bound is tight: with the list read just before the logout, the session still works until the bound', async () => {
    // GIVEN bound 30 s and a result cache of 10 s: the authorizer keeps list entries for 20 s
    let ms = START;
    const now = () => ms;
    const alice = { ...PRINCIPALS.alice, issuedAt: START / 1000 - 10, sessionId: 'sid-a' };
    const store = new MemoryRevocationStore();
    const handler = createHandler({
      config: { ok: true, config: config({ resultCacheTtlSeconds: 10, revocation: { boundSeconds: 30 } }) },
      createVerifier: () => tableVerifier({ 'tok.alice.sig': alice }),
      log: new RecordingLog(),
      revocationStore: store,
      now,
    });
    const call = () =>
      handler(apigwEvent('rest', { method: 'GET', path: '/me', authorization: 'Bearer tok.alice.sig' }));
    await call(); // reads the list at START
    await store.revoke([
      { key: revocationKey(ISSUER, 'sid', 'sid-a'), revokedAt: START / 1000, expiresAt: START / 1000 + 3600 },
    ]);
    ms += 19_999;
    // WHEN the authorizer answers from its entry just before it goes stale (API Gateway may then cache the
    // answer for 10 s more: until 29.999 s after the logout)
    const late = (await call()) as IamPolicyResponse;
    expect(late.policyDocument.Statement.some((st) => st.Effect === 'Allow')).toBe(true);
    // THEN from 20 s on the authorizer itself refuses, so no allow is cached past 30 s
    ms += 1;
    await expect(call()).rejects.toThrow('Unauthorized');
    expect(store.lookups).toBe(2);
  });
});
