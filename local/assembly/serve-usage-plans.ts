/**
 * The stack's REST usage plans (read-usage-plans.ts) enforced by the local gateway with the limiter core
 * of usage-limiter.ts, as API Gateway enforces them:
 *
 * - A method with `ApiKeyRequired` needs an API key: with the API's key source `AUTHORIZER` the
 *   `usageIdentifierKey` of the Lambda authorizer's answer, with `HEADER` the `X-API-Key` header. A key
 *   that is in no plan of the API (or none, or a disabled key) is a 403 `Forbidden` (InvalidKeyParameter):
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 * - The plan holding the key throttles and caps the request: one token bucket and one quota counter per
 *   API key and plan, shared by every API stage the plan covers, plus a bucket per key and method for a
 *   per-method throttle. Over either limit API Gateway answers 429 itself, `Too Many Requests` for the
 *   throttle and `Limit Exceeded` for the quota:
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
 *   https://repost.aws/knowledge-center/api-gateway-429-limit
 * - Methods without `ApiKeyRequired`, HTTP APIs and public methods are not counted (the stage throttle is
 *   not emulated).
 *
 * Key values are the ones the functions see: a key whose `Value` resolves a Secrets Manager secret gets that
 * secret's value from the secrets stand-in of the run (secrets-stand-in.ts), as CloudFormation resolves the
 * dynamic reference at deploy time; a literal value is itself; a key without a value gets one per run.
 *
 * Per-caller tiers: the authorizer registers each caller's key in the tier's plan at run time through API
 * Gateway's management API, served locally by apigateway-stand-in.ts, which adds it here (`register`).
 *
 * The core counts "tiers"; here each plan is one, with `perCaller` so that it counts per API key as a plan
 * does, and each key is named to the core as `<plan> <value>`, so that a key in two plans (of different
 * APIs) has an allowance in each.
 */
import { randomInt } from 'node:crypto';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { routeKey } from '../../common/route-model';
import type { UsageThrottle, UsageTier, UsageTiersConfig } from '../../common/usage-tiers';
import { USAGE_KEY_LENGTH } from '../../common/usage-tiers';
import type { UsageLimiter } from '../gateway/usage-limiter';
import { createUsageLimiter, roleArnOf } from '../gateway/usage-limiter';
import type { AssemblyApi, AssemblyStack } from './assembly-model';
import type { AssemblyApiKey, AssemblyUsagePlan } from './read-usage-plans';
import type { LocalSecret } from './secrets-stand-in';

/** One usage plan of the served stack, with this run's key values. */
/** A plan as read from the template (id, name, throttle, quota, tier, problem), with what it serves in this run. */
export interface ServedUsagePlan extends Omit<AssemblyUsagePlan, 'stages' | 'keyIds'> {
  /** Logical ids of the REST APIs it covers. */
  readonly apis: readonly string[];
  /** The values of its enabled API keys in this run (per-caller keys join as they are registered). */
  readonly keys: readonly string[];
}

/** What tests and the demo need of the served usage plans. */
export interface ServedUsage {
  readonly plans: readonly ServedUsagePlan[];
  /**
   * Tier → the secret value the Keygate authorizer reads for it (its `usage.keySecrets`): the API key it
   * answers the tier's callers with, or in a per-caller tier the key their own keys are derived with.
   */
  readonly tierKeys: Readonly<Record<string, string>>;
  /** Role (logical id, or an imported role's name) → the API key values it may read from Secrets Manager. */
  readonly roleKeys: Readonly<Record<string, readonly string[]>>;
  /**
   * The `X-API-Key` an IAM role sends: the one key it may read. `role` is its name or logical id, its ARN,
   * or an assumed-role session ARN. Undefined when it reads no key or several.
   */
  keyForRole(role: string): string | undefined;
}

export interface LocalUsagePlans {
  readonly served: ServedUsage;
  /** The limiter of one API: undefined when none of its methods needs a key. */
  limiterFor(api: AssemblyApi): UsageLimiter | undefined;
  /** Adds an API key value to a plan (CreateUsagePlanKey); false when no enforced plan has that id. */
  register(planId: string, value: string): boolean;
}

/** The stack's usage plans with this run's key values, and one limiter state for the whole stack. */
export function localUsagePlans(
  stack: AssemblyStack,
  secrets: readonly LocalSecret[],
  now: () => number = Date.now,
): LocalUsagePlans {
  const usage = stack.usage ?? { plans: [], keys: {}, roleKeys: {} };
  const values = keyValues(usage.keys, secrets);
  const enabled = (ids: readonly string[]) =>
    ids.flatMap((id) => (usage.keys[id]?.enabled && values.has(id) ? [values.get(id)!] : []));
  const plans: (ServedUsagePlan & { keys: string[] })[] = usage.plans.map((p) => ({
    id: p.id,
    name: p.name,
    throttle: p.throttle,
    ...(p.quota ? { quota: p.quota } : {}),
    apis: p.stages.map((s) => s.apiId),
    keys: enabled(p.keyIds),
    ...(p.callerKeyTier ? { callerKeyTier: p.callerKeyTier } : {}),
    ...(p.problem ? { problem: p.problem } : {}),
  }));
  const enforced = usage.plans.filter((p) => p.problem === undefined);
  const tierByKey = new Map<string, string>();
  for (const p of plans) for (const k of p.keys) tierByKey.set(`${p.id} ${k}`, p.id);
  const core = createUsageLimiter(coreConfig(enforced), tierByKey, now);
  const roleKeys = Object.fromEntries(
    Object.entries(usage.roleKeys).map(([role, ids]) => [role, enabled(ids)]),
  );
  return {
    served: {
      plans,
      tierKeys: tierKeys(stack, secrets),
      roleKeys,
      keyForRole(role) {
        const name = /:role\/(?:.*\/)?([^/]+)$/.exec(roleArnOf(role) ?? role)?.[1] ?? role;
        const keys = roleKeys[name] ?? [];
        return keys.length === 1 ? keys[0] : undefined;
      },
    },
    limiterFor: (api) => apiLimiter(api, enforced, plans, core),
    register(planId, value) {
      const plan = plans.find((p) => p.id === planId && p.problem === undefined);
      if (!plan) return false;
      if (!plan.keys.includes(value)) plan.keys.push(value);
      tierByKey.set(`${plan.id} ${value}`, plan.id);
      return true;
    },
  };
}

/** The plans as the core's tiers: one tier per plan, counted per key, method throttles per API. */
function coreConfig(plans: readonly AssemblyUsagePlan[]): UsageTiersConfig {
  const tiers: Record<string, UsageTier> = {};
  for (const p of plans) {
    const routeThrottles: Record<string, UsageThrottle> = {};
    for (const s of p.stages)
      for (const [key, t] of Object.entries(s.routeThrottles)) routeThrottles[`${s.apiId} ${key}`] = t;
    tiers[p.id] = { ...p.throttle, ...(p.quota ? { quota: p.quota } : {}), routeThrottles, perCaller: true };
  }
  return { tiers, defaultTier: plans[0]?.id ?? '', assignments: [] };
}

function apiLimiter(
  api: AssemblyApi,
  enforced: readonly AssemblyUsagePlan[],
  plans: readonly ServedUsagePlan[],
  core: UsageLimiter,
): UsageLimiter | undefined {
  const keyRoutes = new Set(api.routes.filter((r) => r.apiKeyRequired).map((r) => routeKey(r)));
  if (api.kind !== 'rest' || keyRoutes.size === 0) return undefined;
  const covering = plans.filter((p) => p.apis.includes(api.id) && enforced.some((e) => e.id === p.id));
  return {
    admit(caller, key) {
      if (!keyRoutes.has(key)) return undefined;
      const value =
        api.apiKeySource === 'AUTHORIZER'
          ? caller.kind === 'key'
            ? caller.usageKey
            : undefined
          : caller.apiKey;
      const plan = value === undefined ? undefined : covering.find((p) => p.keys.includes(value));
      return core.admit(
        { kind: 'key', usageKey: plan ? `${plan.id} ${value}` : undefined },
        `${api.id} ${key}`,
      );
    },
  };
}

/** Each API key's value in this run (by logical id). */
function keyValues(
  keys: Readonly<Record<string, AssemblyApiKey>>,
  secrets: readonly LocalSecret[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (const k of Object.values(keys)) {
    const v = k.value;
    const value =
      v.kind === 'literal'
        ? v.value
        : v.kind === 'secret'
          ? secrets.find((s) => s.logicalId === v.secretId || s.secretId === v.secretId)?.value
          : undefined;
    out.set(k.id, value ?? generatedKey());
  }
  return out;
}

/** Tier → the value of the secret each Keygate authorizer of the stack reads for it (`usage.keySecrets`). */
function tierKeys(stack: AssemblyStack, secrets: readonly LocalSecret[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const fn of Object.values(stack.functions)) {
    const raw = fn.environment[AUTHORIZER_CONFIG_ENV];
    if (raw === undefined) continue;
    let keySecrets: unknown;
    try {
      keySecrets = (JSON.parse(raw) as { usage?: { keySecrets?: unknown } }).usage?.keySecrets;
    } catch {
      continue; // an unreadable config: its routes answer 501 (read-assembly.ts)
    }
    if (typeof keySecrets !== 'object' || keySecrets === null) continue;
    for (const [tier, id] of Object.entries(keySecrets)) {
      const value = secrets.find((s) => s.secretId === id || s.logicalId === id)?.value;
      if (value !== undefined) out[tier] = value;
    }
  }
  return out;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A key API Gateway would generate: letters and digits. */
function generatedKey(): string {
  return Array.from({ length: USAGE_KEY_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}
