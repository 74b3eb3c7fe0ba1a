/**
 * The local gateway's usage plans: the tiers of common/usage-tiers.ts enforced in memory, as API Gateway
 * enforces a REST API's usage plans keyed by the authorizer's `usageIdentifierKey`.
 *
 * - Each tier has one API key (generated in Secrets Manager when deployed; locally read from the
 *   secrets stand-in, serve-usage-plans.ts); the authorizer reads the value and answers with it. A request on a key-requiring route whose answer names no key of a plan is a 403 `Forbidden`
 *   (API Gateway's InvalidKeyParameter:
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html).
 * - Per-caller tiers (`perCaller: true`): the authorizer derives each caller's key (as deployed,
 *   common/usage-caller-keys.ts) and registers it through `registrar`, which adds it to the tier here as
 *   the Lambda's registrar adds it to the tier's usage plan; each such key has buckets and a quota of its
 *   own.
 * - Throttle: one token bucket per key (rate per second, bucket of `burstLimit`), plus one per key and
 *   route for a route throttle, which applies besides the plan's own; out of tokens → 429
 *   `Too Many Requests`. Quota: one counter per key and period (UTC day, week from Sunday, month; a
 *   usage plan's default offset 0), → 429 `Limit Exceeded`
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html,
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-usageplan-quotasettings.html).
 * - IAM callers, as the deployed app serves them (common/usage-tiers-iam.ts): with `roleArn` assignments
 *   the IAM routes are on an API with key source HEADER, so the caller's `X-API-Key` names the plan, and
 *   a missing or unknown key is a 403 `Forbidden`; each role's key is `iamKeyFor(roleArn)` (the tier's key
 *   in a pooled tier, a key of the role's own in a per-caller tier). Without `roleArn` assignments IAM
 *   routes are under the stage throttle alone, as deployed: not counted here.
 *
 * State: a bucket per key (and per key and route) and a counter per key: bounded by tiers × routes, and
 * for per-caller tiers by the callers of the run (a local gateway serves a handful).
 */
import type { UsageThrottle, UsageTiersConfig } from '../../common/usage-tiers';
import { hasIamTiers } from '../../common/usage-tiers-iam';

export type UsageReason = 'usage_key_invalid' | 'usage_throttled' | 'usage_quota_exceeded';

export interface UsageRefusal {
  readonly status: 403 | 429;
  readonly message: 'Forbidden' | 'Too Many Requests' | 'Limit Exceeded';
  readonly reason: UsageReason;
}

/** What the gateway asks: the key the authorizer named (keycloak routes) or the SigV4 caller (iam routes). */
export type UsageCaller =
  | {
      readonly kind: 'key';
      readonly usageKey: string | undefined;
      /** The request's X-API-Key (an API whose key source is HEADER reads it). */
      readonly apiKey?: string;
    }
  | { readonly kind: 'iam'; readonly callerArn: string; readonly apiKey?: string };

export interface UsageLimiter {
  /** Takes one request from the caller's allowance: undefined when admitted, else API Gateway's refusal. */
  admit(caller: UsageCaller, routeKey: string): UsageRefusal | undefined;
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

  /** The tier, and whose allowance: the tier's own, or in a per-caller tier the caller's. */
  function allowanceOf(caller: UsageCaller): { tier: string; id: string } | undefined {
    if (caller.kind === 'key') {
      const tier = caller.usageKey === undefined ? undefined : tierByKey.get(caller.usageKey);
      if (tier === undefined) return undefined;
      return { tier, id: config.tiers[tier]?.perCaller === true ? `key ${caller.usageKey}` : tier };
    }
    return allowanceOf({ kind: 'key', usageKey: caller.apiKey });
  }
  const iamTiers = hasIamTiers(config);

  return {
    admit(caller, routeKey) {
      if (caller.kind === 'iam' && !iamTiers) return undefined;
      const allowance = allowanceOf(caller);
      const spec = allowance === undefined ? undefined : config.tiers[allowance.tier];
      if (allowance === undefined || spec === undefined)
        return { status: 403, message: 'Forbidden', reason: 'usage_key_invalid' };
      const { id } = allowance;
      const at = now();
      const route = spec.routeThrottles?.[routeKey];
      // Both buckets are checked before either is charged.
      const routeId = `${id} ${routeKey}`;
      if (route !== undefined && !peek(routeId, route, at)) return THROTTLED;
      if (!peek(id, spec, at)) return THROTTLED;
      if (spec.quota !== undefined) {
        const window = windowOf(spec.quota.period, at);
        const q = quotas.get(id);
        const used = q !== undefined && q.window === window ? q.used : 0;
        if (used >= spec.quota.limit)
          return { status: 429, message: 'Limit Exceeded', reason: 'usage_quota_exceeded' };
        quotas.set(id, { window, used: used + 1 });
      }
      if (route !== undefined) take(routeId, route, at);
      take(id, spec, at);
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
