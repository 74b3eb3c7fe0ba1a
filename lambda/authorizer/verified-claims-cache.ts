/**
 * Verified-claims cache: a warm container that sees the same token again (a client calling several routes,
 * or API Gateway's own cache missing for another route) skips signature verification and claim parsing.
 *
 * Keyed by SHA-256 of the whole token, so a hit needs the exact same bytes — header, payload AND signature —
 * and the token itself is not kept in memory longer than the request. Only successful verifications are
 * stored; each entry expires at the token's `exp`. Bounded: least recently used entries are evicted first,
 * where "used" counts a hit only once the entry is in the older half of the cache: a hit on an entry among
 * the newest half leaves it where it is (it outlives at least half a cache of insertions anyway).
 *
 * Why not move every hit to the back: a Map keeps a deleted entry's slot until it rehashes, in the key's
 * hash bucket, so deleting and re-inserting one key on every hit lengthens that bucket's chain by one slot
 * per request, and every lookup of a repeated token walks it (measured: 1.3 µs per hit in a cache of 1000).
 * For the same reason the oldest entry is read from one kept iterator, which resumes where the last
 * eviction stopped, instead of a new iterator that walks every evicted slot from the start.
 */
import { hash } from 'node:crypto';
import type { TokenFacts, VerifiedPrincipal, VerifyResult } from './types';

export interface VerifiedEntry {
  readonly principal: VerifiedPrincipal;
  readonly facts: TokenFacts;
}

/** What a hit answers: the stored verification, marked cached (made once when stored, so a hit allocates nothing). */
export type CachedResult = Extract<VerifyResult, { ok: true }>;

/** A stored result and when it was last put at the back (the count of insertions then). */
class Slot {
  constructor(
    readonly result: CachedResult,
    public stamp: number,
  ) {}
}

export class VerifiedClaimsCache {
  // A Map iterates in insertion order: a re-inserted key goes to the back, so the first key is the oldest.
  private readonly entries = new Map<string, Slot>();
  /** Insertions so far, the slots' clock. */
  private inserted = 0;
  /**
   * Walks the keys in insertion order, one eviction at a time. Every key it has passed was evicted, so its
   * next key is the oldest one left (ECMAScript Map iterators skip deleted entries and reach added ones).
   */
  private oldest: Iterator<string> | undefined;

  /** @param capacity maximum entries; 0 disables the cache. */
  constructor(readonly capacity: number) {}

  static key(token: string): string {
    // One-shot crypto.hash (Node >= 20.12, https://nodejs.org/api/crypto.html#cryptohashalgorithm-data-outputencoding):
    // no Hash object per request.
    return hash('sha256', token, 'base64url');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry for this key while `nowSeconds < exp`; an expired entry is removed. */
  get(key: string, nowSeconds: number): CachedResult | undefined {
    const slot = this.entries.get(key);
    if (!slot) return undefined;
    if (nowSeconds >= slot.result.principal.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    if (this.inserted - slot.stamp >= this.capacity / 2) {
      this.entries.delete(key);
      slot.stamp = ++this.inserted;
      this.entries.set(key, slot);
    }
    return slot.result;
  }

  set(key: string, { principal, facts }: VerifiedEntry): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.capacity) this.evictOldest();
    this.entries.set(key, new Slot({ ok: true, principal, facts, cached: true }, ++this.inserted));
  }

  private evictOldest(): void {
    let next = this.oldest?.next();
    if (next === undefined || next.done) {
      this.oldest = this.entries.keys();
      next = this.oldest.next();
    }
    if (!next.done) this.entries.delete(next.value);
  }
}
