/**
 * Verified-claims cache: a warm container that sees the same token again (a client calling several routes,
 * or API Gateway's own cache missing for another route) skips signature verification and claim parsing.
 *
 * Keyed by SHA-256 of the whole token, so a hit needs the exact same bytes — header, payload AND signature —
 * and the token itself is not kept in memory longer than the request. Only successful verifications are
 * stored; each entry expires at the token's `exp`. Bounded: least recently used entries are evicted first.
 */
import { hash } from 'node:crypto';
import type { TokenFacts, VerifiedPrincipal, VerifyResult } from './types';

export interface VerifiedEntry {
  readonly principal: VerifiedPrincipal;
  readonly facts: TokenFacts;
}

/** What a hit answers: the stored verification, marked cached (made once when stored, so a hit allocates nothing). */
export type CachedResult = Extract<VerifyResult, { ok: true }>;

export class VerifiedClaimsCache {
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least recently used.
  private readonly entries = new Map<string, CachedResult>();

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
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (nowSeconds >= entry.principal.expiresAt) return undefined;
    this.entries.set(key, entry);
    return entry;
  }

  set(key: string, { principal, facts }: VerifiedEntry): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    while (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { ok: true, principal, facts, cached: true });
  }
}
