/**
 * Revocation through OpenID Connect Back-Channel Logout 1.0: the contract shared by the constructs
 * (lib/revocation), the back-channel logout function (lambda/back-channel-logout), the authorizer's
 * revocation check (lambda/authorizer/revocation-check.ts), the local gateway and the realm definition.
 * Plain types and pure functions only.
 *
 * The guarantee, in one number: a session logged out in the issuer stops working through the API within
 * `boundSeconds` (default 30) of the issuer delivering the logout token. Two caches lie between the list
 * and a request, in series: the authorizer's in-container cache of list entries, and API Gateway's result
 * cache. The authorizer keeps list entries for at most `boundSeconds - resultCacheTtlSeconds`, so the two
 * staleness windows add up to the bound (revocationStalenessSeconds).
 *
 * https://openid.net/specs/openid-connect-backchannel-1_0.html
 */
import { isIntIn } from './field-checks';
import type { FieldIssue } from './field-issue';
import { fieldIssue } from './field-issue';

export const REVOCATION_DEFAULTS = {
  /** "A logged-out session stops working within N seconds". */
  boundSeconds: 30,
  maxBoundSeconds: 300,
  /** List entries kept by one authorizer container (least recently fetched evicted first). */
  cacheEntries: 10_000,
  /** How long a revocation is kept: the realm's longest token lifetime (Keycloak's SSO session max is 10 h). */
  retentionSeconds: 36_000,
  maxRetentionSeconds: 31 * 24 * 3600,
} as const;

/** The revocation list's item shape (DynamoDB: partition key `pk`, TTL attribute `expiresAt`). */
export const REVOCATION_TABLE = {
  partitionKey: 'pk',
  revokedAtAttribute: 'revokedAt',
  ttlAttribute: 'expiresAt',
} as const;

/** What a list entry names: one session of an issuer, or every session of a subject. */
export type RevocationKind = 'sid' | 'sub';

/**
 * The list key of a session or subject. The issuer is part of it: two realms may use the same `sub` or
 * `sid` for different people. U+0001 cannot occur in a URL nor (JSON-decoded from a verified token) be
 * mistaken for one, so keys of different issuers never collide.
 */
export function revocationKey(issuer: string, kind: RevocationKind, value: string): string {
  return `${kind}\u0001${issuer}\u0001${value}`;
}

/** The key under which a logout token's `jti` is remembered (accepted once). */
export function logoutJtiKey(issuer: string, jti: string): string {
  return `jti\u0001${issuer}\u0001${jti}`;
}

/** The authorizer configuration's `revocation` block. */
export interface RevocationConfig {
  /**
   * A logged-out session stops working within this many seconds. The authorizer's result cache TTL may
   * not exceed it; the authorizer keeps list entries for the rest of it.
   * @default 30
   */
  readonly boundSeconds?: number;
  /**
   * The DynamoDB table holding the list (created by RevocationList).
   * @default - none: the caller supplies the store (the local gateway keeps the list in memory)
   */
  readonly tableName?: string;
}

/**
 * How long the authorizer may use a list entry it read: the bound less the result cache TTL, since an
 * answer given from an entry that old may still be replayed by API Gateway for the TTL.
 */
export function revocationStalenessSeconds(config: RevocationConfig, resultCacheTtlSeconds: number): number {
  return Math.max(0, (config.boundSeconds ?? REVOCATION_DEFAULTS.boundSeconds) - resultCacheTtlSeconds);
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * The checks of the authorizer configuration's `revocation` block, given its result cache TTL (which must
 * be known and within the bound, or the bound would not hold). Each problem names its field.
 */
export function validateRevocationBlock(input: unknown, resultCacheTtlSeconds: unknown): FieldIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [fieldIssue('revocation', 'must be an object')];
  const r = input as Record<string, unknown>;
  const errors: FieldIssue[] = [];
  const bound = r.boundSeconds ?? REVOCATION_DEFAULTS.boundSeconds;
  if (!isIntIn(bound, 1, REVOCATION_DEFAULTS.maxBoundSeconds)) {
    errors.push(
      fieldIssue(
        'revocation.boundSeconds',
        `must be an integer from 1 to ${REVOCATION_DEFAULTS.maxBoundSeconds}`,
      ),
    );
  } else if (typeof resultCacheTtlSeconds !== 'number') {
    errors.push({
      path: 'resultCacheTtlSeconds',
      message: 'revocation needs resultCacheTtlSeconds: the bound includes API Gateway result caching',
    });
  } else if (resultCacheTtlSeconds > (bound as number)) {
    errors.push(
      fieldIssue(
        'resultCacheTtlSeconds',
        `(${resultCacheTtlSeconds}) must not exceed revocation.boundSeconds (${String(bound)}): ` +
          'a cached answer would outlive a logout by more than the bound',
      ),
    );
  }
  if (r.tableName !== undefined && (typeof r.tableName !== 'string' || !TABLE_NAME.test(r.tableName))) {
    errors.push(
      fieldIssue('revocation.tableName', 'must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)'),
    );
  }
  for (const k of Object.keys(r))
    if (k !== 'boundSeconds' && k !== 'tableName')
      errors.push(fieldIssue(`revocation.${k}`, 'is not a field'));
  return errors;
}
