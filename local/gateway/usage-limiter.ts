/**
 * The local gateway's usage plans: the tiers of common/usage-tiers.ts enforced in memory, as API Gateway
 * enforces a REST API's usage plans keyed by the authorizer's `usageIdentifierKey`.
 *
 * - Each tier has one API key (random per run here, generated in Secrets Manager when deployed); the
 *   authorizer reads the values through the same `readSecret` seam the Lambda uses, and answers with
 *   one. A request on a key-requiring route whose answer names no key of a plan is a 403 `Forbidden`
 *   (API Gateway's InvalidKeyParameter:
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html).
 * - Throttle: one token bucket per key (rate per second, bucket of `burstLimit`), plus one per key and
 *   route for a route throttle, which applies besides the plan's own; out of tokens → 429
 *   `Too Many Requests`. Quota: one counter per key and period (UTC day, week from Sunday, month; a
 *   usage plan's default offset 0), → 429 `Limit Exceeded`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html,
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-usageplan-quotasettings.html).
 * - IAM callers: matched by role ARN (`roleArn` assignments) from the signing session's ARN. API Gateway
 *   cannot do this (an IAM method has no authorizer to name a key), so this is the local gateway only.
 *
 * State: a bucket per key (and per key and route) and a counter per key: bounded by tiers × routes.
 */
import { randomBytes } from 'node:crypto';
import type { UsageKeysConfig, UsageThrottle, UsageTiersConfig } from '../../common/usage-tiers';
import { USAGE_KEY_LENGTH, tierForRoleArn, tokenAssignments } from '../../common/usage-tiers';

export type UsageReason = 'usage_key_invalid' | 'usage_throttled' | 'usage_quota_exceeded';

export interface UsageRefusal {
  readonly status: 403 | 429;
  readonly message: 'Forbidden' | 'Too Many Requests' | 'Limit Exceeded';
  readonly reason: UsageReason;
}

/** What the gateway asks: the key the authorizer named (keycloak routes) or the SigV4 caller (iam routes). */
export type UsageCaller =
  | { readonly kind: 'key'; readonly usageKey: string | undefined }
  | { readonly kind: 'iam'; readonly callerArn: string };

export interface UsageLimiter {
  /** Takes one request from the caller's allowance: undefined when admitted, else API Gateway's refusal. */
  admit(caller: UsageCaller, routeKey: string): UsageRefusal | undefined;
}

/** The local tiers: the key values, the authorizer's `usage` block and reader, and the limiter. */
export interface LocalUsageTiers {
  readonly authorizerBlock: UsageKeysConfig;
  readonly readSecret: (secretId: string) => Promise<string>;
  readonly limiter: UsageLimiter;
  /** Tier → key value (tests and the demo print which tier answered). */
  readonly keys: ReadonlyMap<string, string>;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function keyValue(): string {
  // 62 letters and digits, as Secrets Manager generates with excludePunctuation; 248 % 62 === 0 keeps it uniform.
  let out = '';
  while (out.length < USAGE_KEY_LENGTH)
    for (const b of randomBytes(64)) if (b < 248 && out.length < USAGE_KEY_LENGTH) out += ALPHABET[b % 62];
  return out;
}

export function createLocalUsageTiers(
  config: UsageTiersConfig,
  now: () => number = Date.now,
): LocalUsageTiers {
  const keys = new Map(Object.keys(config.tiers).map((t) => [t, keyValue()]));
  const secretId = (tier: string) => `local:usage-key:${tier}`;
  const byId = new Map([...keys].map(([t, v]) => [secretId(t), v]));
  return {
    keys,
    authorizerBlock: {
      defaultTier: config.defaultTier,
      assignments: tokenAssignments(config),
      keySecrets: Object.fromEntries([...keys.keys()].map((t) => [t, secretId(t)])),
    },
    readSecret: (id) => {
      const v = byId.get(id);
      return v === undefined ? Promise.reject(new Error('no such secret')) : Promise.resolve(v);
    },
    limiter: createUsageLimiter(config, new Map([...keys].map(([t, v]) => [v, t])), now),
  };
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createUsageLimiter(
  config: UsageTiersConfig,
  tierByKey: ReadonlyMap<string, string>,
  now: () => number = Date.now,
): UsageLimiter {
  const buckets = new Map<string, Bucket>();
  const quotas = new Map<string, { window: number; used: number }>();

  /** Refills then takes one token; false when the bucket is empty. */
  function take(id: string, t: UsageThrottle, at: number): boolean {
    let b = buckets.get(id);
    if (b === undefined) buckets.set(id, (b = { tokens: t.burstLimit, at }));
    b.tokens = Math.min(t.burstLimit, b.tokens + ((at - b.at) / 1000) * t.rateLimit);
    b.at = at;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  return {
    admit(caller, routeKey) {
      const tier =
        caller.kind === 'key'
          ? caller.usageKey === undefined
            ? undefined
            : tierByKey.get(caller.usageKey)
          : tierForRoleArn(roleArnOf(caller.callerArn), config.assignments ?? [], config.defaultTier);
      const spec = tier === undefined ? undefined : config.tiers[tier];
      if (tier === undefined || spec === undefined)
        return { status: 403, message: 'Forbidden', reason: 'usage_key_invalid' };
      const at = now();
      const route = spec.routeThrottles?.[routeKey];
      // Both buckets are checked before either is charged.
      const routeId = `${tier} ${routeKey}`;
      if (route !== undefined && !peek(routeId, route, at)) return THROTTLED;
      if (!peek(tier, spec, at)) return THROTTLED;
      if (spec.quota !== undefined) {
        const window = windowOf(spec.quota.period, at);
        const q = quotas.get(tier);
        const used = q !== undefined && q.window === window ? q.used : 0;
        if (used >= spec.quota.limit)
          return { status: 429, message: 'Limit Exceeded', reason: 'usage_quota_exceeded' };
        quotas.set(tier, { window, used: used + 1 });
      }
      if (route !== undefined) take(routeId, route, at);
      take(tier, spec, at);
      return undefined;
    },
  };

  function peek(id: string, t: UsageThrottle, at: number): boolean {
    const b = buckets.get(id);
    if (b === undefined) return t.burstLimit >= 1;
    return Math.min(t.burstLimit, b.tokens + ((at - b.at) / 1000) * t.rateLimit) >= 1;
  }
}

const THROTTLED: UsageRefusal = { status: 429, message: 'Too Many Requests', reason: 'usage_throttled' };

/** The start of the quota period holding `at` (UTC; weeks start on Sunday, a usage plan's offset 0). */
export function windowOf(period: 'DAY' | 'WEEK' | 'MONTH', at: number): number {
  const d = new Date(at);
  if (period === 'MONTH') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return period === 'DAY' ? day : day - d.getUTCDay() * 86_400_000;
}

/** The role ARN of an assumed-role session ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`). */
export function roleArnOf(callerArn: string): string | undefined {
  const m = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/.exec(callerArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}
