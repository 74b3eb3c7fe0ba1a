/**
 * The authorizer's revocation check: after a token verifies, refuse it when its session (`sid`) or its
 * subject (`sub`) was logged out at or after its `iat` (back-channel logout, common/revocation.ts).
 *
 * The list is read through a small in-container cache:
 * - key: the list key of a session or subject (revocationKey); value: its revocation time, or "not
 *   revoked" (the common case worth caching: most callers were never logged out);
 * - bound: an entry is used for at most `stalenessSeconds` after it was read (revocationStalenessSeconds:
 *   the configured bound less API Gateway's result cache TTL), then read again;
 * - eviction: at most `maxEntries`, the least recently read dropped first;
 * - saves: a DynamoDB read per request of a warm container (measured in `npm run bench`).
 * While every key of a token is fresh in the cache, the check is synchronous.
 *
 * Fail closed: a list that cannot be read denies (revocation_unavailable), and a token without `iat`, or
 * with neither `sid` nor `sub`, cannot be checked and is denied (revocation_claims_missing).
 */
import type { RevocationConfig } from '../../common/revocation';
import { REVOCATION_DEFAULTS, revocationKey, revocationStalenessSeconds } from '../../common/revocation';
import type { ReasonCode } from '../../common/reason-codes';
import type { RevocationStore } from '../revocation/revocation-store';
import type { VerifiedPrincipal, VerifyResult } from './types';

export type RevocationVerdict = 'session_revoked' | 'revocation_claims_missing' | 'revocation_unavailable';

export interface RevocationChecker {
  /** undefined when the token may pass; a reason when it is refused. */
  check(principal: VerifiedPrincipal): RevocationVerdict | undefined | Promise<RevocationVerdict | undefined>;
}

export interface RevocationCheckOptions {
  readonly store: RevocationStore;
  /** How long a list entry read is used, in seconds (0: read on every request). */
  readonly stalenessSeconds: number;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** @default REVOCATION_DEFAULTS.cacheEntries */
  readonly maxEntries?: number;
}

interface CachedEntry {
  /** Epoch seconds of the revocation, or undefined: not on the list when read. */
  readonly revokedAt: number | undefined;
  /** Epoch milliseconds of the read. */
  readonly readAt: number;
}

/** The check for an authorizer configuration's `revocation` block. */
export function revocationCheckFor(
  config: RevocationConfig,
  resultCacheTtlSeconds: number,
  store: RevocationStore,
  now?: () => number,
): RevocationChecker {
  return createRevocationCheck({
    store,
    stalenessSeconds: revocationStalenessSeconds(config, resultCacheTtlSeconds),
    now,
  });
}

export function createRevocationCheck(opts: RevocationCheckOptions): RevocationChecker {
  const now = opts.now ?? Date.now;
  const maxMs = opts.stalenessSeconds * 1000;
  const maxEntries = opts.maxEntries ?? REVOCATION_DEFAULTS.cacheEntries;
  const cache = new Map<string, CachedEntry>();

  const judge = (
    p: VerifiedPrincipal,
    keys: readonly string[],
    revokedAt: (k: string) => number | undefined,
  ) => {
    for (const k of keys) {
      const at = revokedAt(k);
      // iat is in whole seconds, as is the revocation time: a token issued in the very second of a
      // logout is refused (fail closed); a new sign-in gets a new sid.
      if (at !== undefined && at >= (p.issuedAt as number)) return 'session_revoked' as const;
    }
    return undefined;
  };

  return {
    check(p) {
      if (typeof p.issuedAt !== 'number') return 'revocation_claims_missing';
      const keys: string[] = [];
      if (p.sessionId) keys.push(revocationKey(p.issuer, 'sid', p.sessionId));
      if (p.sub) keys.push(revocationKey(p.issuer, 'sub', p.sub));
      if (keys.length === 0) return 'revocation_claims_missing';
      const at = now();
      const stale = keys.filter((k) => {
        const e = cache.get(k);
        return e === undefined || at - e.readAt >= maxMs;
      });
      if (stale.length === 0) return judge(p, keys, (k) => cache.get(k)?.revokedAt);
      return opts.store.lookup(stale, Math.floor(at / 1000)).then(
        (found) => {
          for (const k of stale) {
            cache.delete(k);
            cache.set(k, { revokedAt: found.get(k), readAt: at });
          }
          while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
          return judge(p, keys, (k) => (found.has(k) ? found.get(k) : cache.get(k)?.revokedAt));
        },
        () => 'revocation_unavailable' as const,
      );
    },
  };
}

/**
 * The pipeline's hook: a verified result passes through the check; a refused one becomes a failed
 * verification with the check's reason (so a browser session is sent to sign in again, like an expired
 * token). Synchronous when the check is.
 */
export function withRevocationCheck<T>(
  checker: RevocationChecker | undefined,
  verified: VerifyResult,
  next: (v: VerifyResult) => T,
): T | Promise<T> {
  if (checker === undefined || !verified.ok) return next(verified);
  const refuse = (reason: ReasonCode | undefined): T =>
    next(reason === undefined ? verified : { ok: false, reason, facts: verified.facts });
  const verdict = checker.check(verified.principal);
  return verdict instanceof Promise ? verdict.then(refuse) : refuse(verdict);
}
