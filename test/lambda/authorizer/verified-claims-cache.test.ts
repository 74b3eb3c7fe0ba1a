import { describe, expect, it } from 'vitest';
import { VerifiedClaimsCache } from '../../../lambda/authorizer/verified-claims-cache';
import { verifiedEntry as entry } from '../../support/verified-entry';

describe('VerifiedClaimsCache', () => {
  it('keys by SHA-256 of the whole token: any changed byte is another key, the token is not kept', () => {
    const key = VerifiedClaimsCache.key('a.b.c');
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).toBe(VerifiedClaimsCache.key('a.b.c'));
    expect(VerifiedClaimsCache.key('a.b.d')).not.toBe(key);
    expect(key).not.toContain('a.b.c');
  });

  it('returns an entry until its exp, then forgets it', () => {
    const cache = new VerifiedClaimsCache(10);
    cache.set('k', entry('u', 1000));
    expect(cache.get('k', 999.9)?.principal.sub).toBe('u');
    expect(cache.get('k', 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new VerifiedClaimsCache(2);
    cache.set('a', entry('a'));
    cache.set('b', entry('b'));
    cache.get('a', 0); // a is now the most recently used
    cache.set('c', entry('c'));
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)?.principal.sub).toBe('a');
    expect(cache.get('c', 0)?.principal.sub).toBe('c');
    expect(cache.size).toBe(2);
  });

  it('leaves an entry read among the newest half where it is, and moves one read in the older half to the back', () => {
    const cache = new VerifiedClaimsCache(4);
    for (const k of ['a', 'b', 'c', 'd']) cache.set(k, entry(k));
    expect(cache.get('c', 0)?.principal.sub).toBe('c'); // third of four: newest half, stays third
    expect(cache.get('a', 0)?.principal.sub).toBe('a'); // oldest: older half, goes to the back
    for (const k of ['e', 'f', 'g']) cache.set(k, entry(k)); // evict b, c, d
    expect(cache.get('c', 0)).toBeUndefined();
    expect(cache.get('d', 0)).toBeUndefined();
    expect(cache.get('a', 0)?.principal.sub).toBe('a');
    expect(cache.size).toBe(4);
  });

  it('replaces an entry under the same key without evicting another', () => {
    const cache = new VerifiedClaimsCache(2);
    cache.set('a', entry('a'));
    cache.set('b', entry('b'));
    cache.set('b', entry('b2'));
    expect(cache.size).toBe(2);
    expect(cache.get('a', 0)?.principal.sub).toBe('a');
    expect(cache.get('b', 0)?.principal.sub).toBe('b2');
  });

  it('stores nothing with capacity 0', () => {
    const cache = new VerifiedClaimsCache(0);
    cache.set('a', entry('a'));
    expect(cache.get('a', 0)).toBeUndefined();
  });

  it('never grows beyond its capacity', () => {
    const cache = new VerifiedClaimsCache(50);
    for (let i = 0; i < 1000; i++) cache.set(`k${i}`, entry(`u${i}`));
    expect(cache.size).toBe(50);
    expect(cache.get('k999', 0)?.principal.sub).toBe('u999');
    expect(cache.get('k949', 0)).toBeUndefined();
  });
});
