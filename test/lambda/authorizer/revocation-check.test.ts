/**
 * The authorizer's revocation check alone, on a fake clock: what it refuses, how long it trusts a list
 * entry it read (the bounded staleness), how many list reads a warm container makes, and that a list it
 * cannot read denies.
 */
import { describe, expect, it } from 'vitest';
import { revocationKey, revocationStalenessSeconds } from '../../../common/revocation';
import { createRevocationCheck, withRevocationCheck } from '../../../lambda/authorizer/revocation-check';
import type { VerifyResult } from '../../../lambda/authorizer/types';
import { MemoryRevocationStore } from '../../../lambda/revocation/revocation-store';
import type { RevocationStore } from '../../../lambda/revocation/revocation-store';
import { ISSUER, principal } from './pipeline-fixtures';

const T0 = 1_900_000_000;

function clock(startSeconds = T0) {
  let ms = startSeconds * 1000;
  return { now: () => ms, advance: (s: number) => void (ms += s * 1000) };
}

const alice = principal('alice', { issuedAt: T0 - 60, sessionId: 'sid-a' });

describe('revocation check', () => {
  it('passes a token whose session and subject are not on the list, after one read of both keys', async () => {
    const store = new MemoryRevocationStore();
    const c = clock();
    const check = createRevocationCheck({ store, stalenessSeconds: 30, now: c.now });
    expect(await check.check(alice)).toBeUndefined();
    expect(store.lookups).toBe(1);
  });

  it.each([
    ['its session', 'sid', 'sid-a'],
    ['its subject', 'sub', 'alice'],
  ] as const)('refuses a token when %s was revoked at or after its iat', async (_n, kind, value) => {
    const store = new MemoryRevocationStore();
    await store.revoke([
      { key: revocationKey(ISSUER, kind, value), revokedAt: T0 - 60, expiresAt: T0 + 3600 },
    ]);
    const check = createRevocationCheck({ store, stalenessSeconds: 30, now: clock().now });
    expect(await check.check(alice)).toBe('session_revoked');
  });

  it('passes a token issued after the revocation (a new sign-in), and another session of the subject', async () => {
    const store = new MemoryRevocationStore();
    await store.revoke([
      { key: revocationKey(ISSUER, 'sub', 'alice'), revokedAt: T0 - 61, expiresAt: T0 + 3600 },
    ]);
    await store.revoke([
      { key: revocationKey(ISSUER, 'sid', 'sid-other'), revokedAt: T0, expiresAt: T0 + 3600 },
    ]);
    const check = createRevocationCheck({ store, stalenessSeconds: 30, now: clock().now });
    expect(await check.check(alice)).toBeUndefined();
  });

  it('ignores a revocation of the same sid by another issuer', async () => {
    const store = new MemoryRevocationStore();
    await store.revoke([
      {
        key: revocationKey('https://other.example/realms/x', 'sid', 'sid-a'),
        revokedAt: T0,
        expiresAt: T0 + 3600,
      },
    ]);
    const check = createRevocationCheck({ store, stalenessSeconds: 30, now: clock().now });
    expect(await check.check(alice)).toBeUndefined();
  });

  it('uses a read entry for less than the staleness bound, then reads again and sees the revocation', async () => {
    const store = new MemoryRevocationStore();
    const c = clock();
    const check = createRevocationCheck({ store, stalenessSeconds: 30, now: c.now });
    expect(await check.check(alice)).toBeUndefined();
    await store.revoke([{ key: revocationKey(ISSUER, 'sid', 'sid-a'), revokedAt: T0, expiresAt: T0 + 3600 }]);
    c.advance(29.999);
    // Fresh in the cache: answered synchronously, without a read.
    expect(check.check(alice)).toBeUndefined();
    expect(store.lookups).toBe(1);
    c.advance(0.001);
    expect(await check.check(alice)).toBe('session_revoked');
    expect(store.lookups).toBe(2);
  });

  it('reads on every request with staleness 0', async () => {
    const store = new MemoryRevocationStore();
    const check = createRevocationCheck({ store, stalenessSeconds: 0, now: clock().now });
    for (let i = 0; i < 3; i++) expect(await check.check(alice)).toBeUndefined();
    expect(store.lookups).toBe(3);
  });

  it('keeps at most maxEntries keys, evicting the least recently read', async () => {
    const store = new MemoryRevocationStore();
    const check = createRevocationCheck({ store, stalenessSeconds: 30, now: clock().now, maxEntries: 2 });
    const bob = principal('bob', { issuedAt: T0 });
    const carol = principal('carol', { issuedAt: T0 });
    await check.check(bob);
    await check.check(carol);
    expect(check.check(bob)).toBeUndefined();
    expect(store.lookups).toBe(2);
    await check.check(alice); // two keys: evicts bob and carol
    expect(check.check(bob)).toBeInstanceOf(Promise);
  });

  it.each([
    ['no iat', principal('alice', { sessionId: 'sid-a' })],
    ['neither sid nor sub', principal('', { issuedAt: T0 })],
  ])('denies a token with %s (revocation_claims_missing), reading nothing', (_n, p) => {
    const store = new MemoryRevocationStore();
    const check = createRevocationCheck({ store, stalenessSeconds: 30, now: clock().now });
    expect(check.check(p)).toBe('revocation_claims_missing');
    expect(store.lookups).toBe(0);
  });

  it('denies when the list cannot be read (revocation_unavailable), and reads again next time', async () => {
    let fail = true;
    let reads = 0;
    const store: RevocationStore = {
      revoke: () => Promise.resolve(),
      claimOnce: () => Promise.resolve(true),
      lookup: () => {
        reads++;
        return fail ? Promise.reject(new Error('ProvisionedThroughputExceeded')) : Promise.resolve(new Map());
      },
    };
    const check = createRevocationCheck({ store, stalenessSeconds: 30, now: clock().now });
    expect(await check.check(alice)).toBe('revocation_unavailable');
    fail = false;
    expect(await check.check(alice)).toBeUndefined();
    expect(reads).toBe(2);
  });

  it('turns a refused token into a failed verification with the reason, keeping its facts', async () => {
    const store = new MemoryRevocationStore();
    await store.revoke([{ key: revocationKey(ISSUER, 'sid', 'sid-a'), revokedAt: T0, expiresAt: T0 + 3600 }]);
    const check = createRevocationCheck({ store, stalenessSeconds: 30, now: clock().now });
    const verified: VerifyResult = {
      ok: true,
      principal: alice,
      facts: { iss: ISSUER, sub: 'alice' },
      cached: false,
    };
    expect(await withRevocationCheck(check, verified, (v) => v)).toEqual({
      ok: false,
      reason: 'session_revoked',
      facts: { iss: ISSUER, sub: 'alice' },
    });
    expect(withRevocationCheck(undefined, verified, (v) => v)).toBe(verified);
  });

  it.each([
    [30, 0, 30],
    [30, 10, 20],
    [30, 30, 0],
    [60, 15, 45],
  ])('bound %i s with a result cache of %i s keeps entries for %i s', (bound, ttl, staleness) => {
    expect(revocationStalenessSeconds({ boundSeconds: bound }, ttl)).toBe(staleness);
  });
});
