/**
 * The usage plans of a template, as API Gateway applies them to the stack's REST APIs:
 * `AWS::ApiGateway::UsagePlan` (throttle, quota, the API stages it covers with their per-method
 * throttles), `AWS::ApiGateway::ApiKey` (its value: literal, a Secrets Manager dynamic reference, or
 * generated), `AWS::ApiGateway::UsagePlanKey` (which key is in which plan), and which roles may read a
 * key's secret (an IAM caller's `X-API-Key`). Pure: template in, plain data out; serve-usage-plans.ts
 * enforces it.
 *
 * - A plan's throttle and quota count per API key, across every API stage the plan covers:
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
 * - The properties read:
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-usageplan.html
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-apigateway-usageplan-apistage.html
 *   (`Throttle` per method, keyed `/<resource path>/<METHOD>`),
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-apikey.html
 *   (`Value`, `Enabled`; without a value API Gateway generates one),
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-usageplankey.html
 * - A value written `{{resolve:secretsmanager:<secret>:SecretString:::}}` is the secret's string,
 *   resolved by CloudFormation at deploy time:
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
 *
 * A plan the reader cannot understand (a hand-edited template) is kept with its `problem`: the methods
 * that need a key on the APIs it may cover answer 501 with that message (unreadablePlanRoutes), the rest
 * of the stack still runs. Fail closed: never served without its limits.
 */
import type { UsageQuota, UsageQuotaPeriod, UsageThrottle } from '../../common/usage-tiers';
import { USAGE_QUOTA_PERIODS } from '../../common/usage-tiers';
import { CALLER_KEY_PLAN_TAG } from '../../common/usage-caller-keys';
import { ACCOUNT_THROTTLE_BURST, ACCOUNT_THROTTLE_RATE_PER_SECOND } from '../../common/aws-limits';
import { HTTP_METHODS } from '../../common/route-model';
import type { AssemblyApi } from './assembly-model';
import type { Resources } from './template';
import { literal, refOf, referencedIds } from './template';

/** One API stage a plan covers: the API's logical id and its per-method throttles by route key. */
export interface UsagePlanStage {
  readonly apiId: string;
  /** `GET /models` → its throttle (the ApiStage's `Throttle`, keyed `/models/GET` in the template). */
  readonly routeThrottles: Readonly<Record<string, UsageThrottle>>;
}

export interface AssemblyUsagePlan {
  /** Logical id. */
  readonly id: string;
  /** `UsagePlanName`, else the logical id. */
  readonly name: string;
  /**
   * Requests per second and bucket. A plan without `Throttle` is limited by the account alone, so it gets
   * the account's default (common/aws-limits.ts).
   */
  readonly throttle: UsageThrottle;
  readonly quota?: UsageQuota;
  readonly stages: readonly UsagePlanStage[];
  /** Logical ids of the API keys the template puts in the plan (UsagePlanKey). */
  readonly keyIds: readonly string[];
  /** The Keygate tier a per-caller plan serves (its `keygate:usage-tier` tag): keys join it at run time. */
  readonly callerKeyTier?: string;
  /** Why the plan cannot be enforced; set, its APIs' key-requiring methods answer 501. */
  readonly problem?: string;
}

/** Where an API key's value comes from. */
export type ApiKeyValueSource =
  | { readonly kind: 'literal'; readonly value: string }
  /** A Secrets Manager secret of the template (its logical id): the value the functions read too. */
  | { readonly kind: 'secret'; readonly secretId: string }
  /** No value in the template: API Gateway generates one (here: one per run). */
  | { readonly kind: 'generated' };

export interface AssemblyApiKey {
  readonly id: string;
  readonly value: ApiKeyValueSource;
  /** A disabled key is in no plan as far as requests go (403). */
  readonly enabled: boolean;
}

export interface AssemblyUsage {
  readonly plans: readonly AssemblyUsagePlan[];
  readonly keys: Readonly<Record<string, AssemblyApiKey>>;
  /** Role (logical id, or the literal name of an imported role) → the API keys whose secret it may read. */
  readonly roleKeys: Readonly<Record<string, readonly string[]>>;
}

/** The usage plans, API keys and key readers of a template. */
export function readUsagePlans(resources: Resources): AssemblyUsage {
  const keys: Record<string, AssemblyApiKey> = {};
  for (const [id, r] of Object.entries(resources))
    if (r.Type === 'AWS::ApiGateway::ApiKey') keys[id] = readApiKey(id, r.Properties ?? {});
  const planKeys = new Map<string, string[]>();
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::ApiGateway::UsagePlanKey') continue;
    const plan = refOf(r.Properties?.UsagePlanId);
    const key = refOf(r.Properties?.KeyId);
    if (plan && key && keys[key]) planKeys.set(plan, [...(planKeys.get(plan) ?? []), key]);
  }
  const plans: AssemblyUsagePlan[] = [];
  for (const [id, r] of Object.entries(resources))
    if (r.Type === 'AWS::ApiGateway::UsagePlan')
      plans.push(readPlan(resources, id, r.Properties ?? {}, planKeys.get(id) ?? []));
  return { plans, keys, roleKeys: keyReaders(resources, keys) };
}

function readApiKey(id: string, p: Record<string, unknown>): AssemblyApiKey {
  const enabled = p.Enabled === true || p.Enabled === 'true';
  const v = p.Value;
  if (typeof v === 'string') {
    const secret = /^\{\{resolve:secretsmanager:([^:}]+)(?::SecretString)?:*\}\}$/.exec(v);
    return {
      id,
      enabled,
      value: secret ? { kind: 'secret', secretId: secret[1] } : { kind: 'literal', value: v },
    };
  }
  // `{{resolve:secretsmanager:<Ref secret>:SecretString:::}}` joined by Fn::Join (the CDK writes it so).
  const secretId = v === undefined ? undefined : referencedIds(v)[0];
  return { id, enabled, value: secretId ? { kind: 'secret', secretId } : { kind: 'generated' } };
}

function readPlan(
  resources: Resources,
  id: string,
  p: Record<string, unknown>,
  keyIds: readonly string[],
): AssemblyUsagePlan {
  const problems: string[] = [];
  const at = `usage plan ${id}`;
  const throttle =
    p.Throttle === undefined
      ? { rateLimit: ACCOUNT_THROTTLE_RATE_PER_SECOND, burstLimit: ACCOUNT_THROTTLE_BURST }
      : throttleOf(p.Throttle, `${at}: Throttle`, problems);
  const quota = p.Quota === undefined ? undefined : quotaOf(p.Quota, `${at}: Quota`, problems);
  const stages = stagesOf(resources, p.ApiStages, at, problems);
  const tag = Array.isArray(p.Tags)
    ? (p.Tags as { Key?: unknown; Value?: unknown }[]).find((t) => t?.Key === CALLER_KEY_PLAN_TAG)?.Value
    : undefined;
  return {
    id,
    name: literal(p.UsagePlanName) ?? id,
    throttle: throttle ?? { rateLimit: 0, burstLimit: 0 },
    ...(quota ? { quota } : {}),
    stages,
    keyIds,
    ...(typeof tag === 'string' ? { callerKeyTier: tag } : {}),
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}

function throttleOf(value: unknown, at: string, problems: string[]): UsageThrottle | undefined {
  const t = (value ?? {}) as { RateLimit?: unknown; BurstLimit?: unknown };
  const rate = numberOf(t.RateLimit);
  const burst = numberOf(t.BurstLimit);
  // Either may be left out: the account's default applies to it.
  if (t.RateLimit !== undefined && (rate === undefined || rate < 0))
    problems.push(`${at}.RateLimit must be a number of requests per second (got ${show(t.RateLimit)})`);
  if (t.BurstLimit !== undefined && (burst === undefined || !Number.isInteger(burst) || burst < 0))
    problems.push(`${at}.BurstLimit must be an integer from 0 (got ${show(t.BurstLimit)})`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${at} must be an object { RateLimit, BurstLimit }`);
    return undefined;
  }
  return {
    rateLimit: rate ?? ACCOUNT_THROTTLE_RATE_PER_SECOND,
    burstLimit: burst ?? ACCOUNT_THROTTLE_BURST,
  };
}

function quotaOf(value: unknown, at: string, problems: string[]): UsageQuota | undefined {
  const q = (value ?? {}) as { Limit?: unknown; Period?: unknown; Offset?: unknown };
  const limit = numberOf(q.Limit);
  const before = problems.length;
  if (limit === undefined || !Number.isInteger(limit) || limit < 0)
    problems.push(`${at}.Limit must be an integer from 0 (got ${show(q.Limit)})`);
  if (!(USAGE_QUOTA_PERIODS as readonly unknown[]).includes(q.Period))
    problems.push(`${at}.Period must be one of ${USAGE_QUOTA_PERIODS.join(', ')} (got ${show(q.Period)})`);
  // The local quota windows start at the period's start (offset 0); another offset is not emulated.
  if (q.Offset !== undefined && numberOf(q.Offset) !== 0)
    problems.push(`${at}.Offset ${show(q.Offset)} is not emulated locally (only 0, the default)`);
  return problems.length > before ? undefined : { limit: limit!, period: q.Period as UsageQuotaPeriod };
}

function stagesOf(resources: Resources, value: unknown, at: string, problems: string[]): UsagePlanStage[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${at}: ApiStages must be a list`);
    return [];
  }
  const stages: UsagePlanStage[] = [];
  value.forEach((s: unknown, i) => {
    const stage = (s ?? {}) as { ApiId?: unknown; Throttle?: unknown };
    const apiId = refOf(stage.ApiId);
    // A literal id names an API of another stack: not served here.
    if (apiId === undefined) {
      if (typeof stage.ApiId !== 'string')
        problems.push(`${at}: ApiStages[${i}].ApiId names no REST API (got ${show(stage.ApiId)})`);
      return;
    }
    if (resources[apiId]?.Type !== 'AWS::ApiGateway::RestApi') {
      problems.push(`${at}: ApiStages[${i}].ApiId references ${apiId}, which is no REST API of the template`);
      return;
    }
    stages.push({
      apiId,
      routeThrottles: methodThrottles(stage.Throttle, `${at}: ApiStages[${i}].Throttle`, problems),
    });
  });
  return stages;
}

/** `{ "/models/{modelId}/stream/POST": { RateLimit, BurstLimit } }` → by route key `POST /models/{modelId}/stream`. */
function methodThrottles(value: unknown, at: string, problems: string[]): Record<string, UsageThrottle> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${at} must map '/<path>/<METHOD>' to { RateLimit, BurstLimit }`);
    return {};
  }
  const out: Record<string, UsageThrottle> = {};
  for (const [key, t] of Object.entries(value)) {
    const m = /^(\/.*?)\/([A-Z*]+)$/.exec(key);
    const method = m?.[2] === '*' ? 'ANY' : m?.[2];
    if (!m || !(HTTP_METHODS as readonly string[]).includes(method ?? '')) {
      problems.push(`${at}['${key}']: the key must be '/<resource path>/<HTTP method>'`);
      continue;
    }
    const throttle = throttleOf(t, `${at}['${key}']`, problems);
    if (throttle) out[`${method} ${m[1] === '' ? '/' : m[1]}`] = throttle;
  }
  return out;
}

/** Which roles may read each key's secret (`secretsmanager:GetSecretValue` on it). */
function keyReaders(
  resources: Resources,
  keys: Readonly<Record<string, AssemblyApiKey>>,
): Record<string, string[]> {
  const keysBySecret = new Map<string, string[]>();
  for (const k of Object.values(keys))
    if (k.value.kind === 'secret')
      keysBySecret.set(k.value.secretId, [...(keysBySecret.get(k.value.secretId) ?? []), k.id]);
  const out: Record<string, string[]> = {};
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const p = r.Properties ?? {};
    const roles = Array.isArray(p.Roles)
      ? (p.Roles as unknown[]).flatMap((x) => literal(x) ?? referencedIds(x).slice(0, 1))
      : [];
    const statements = ((p.PolicyDocument ?? {}) as { Statement?: unknown }).Statement;
    for (const s of (Array.isArray(statements) ? statements : [statements]) as {
      Effect?: unknown;
      Action?: unknown;
      Resource?: unknown;
    }[]) {
      const actions = Array.isArray(s?.Action) ? s.Action : [s?.Action];
      if (s?.Effect !== 'Allow' || !actions.includes('secretsmanager:GetSecretValue')) continue;
      const readable = referencedIds(s.Resource).flatMap((id) => keysBySecret.get(id) ?? []);
      for (const role of roles) out[role] = [...new Set([...(out[role] ?? []), ...readable])];
    }
  }
  return Object.fromEntries(Object.entries(out).filter(([, k]) => k.length > 0));
}

/**
 * The APIs with each route that needs an API key on an API a plan the reader could not understand may
 * cover (its own APIs, or every REST API when its stages are unreadable) marked unsupported: 501 and the
 * plan's problem, never served without its limits.
 */
export function unreadablePlanRoutes(apis: readonly AssemblyApi[], usage: AssemblyUsage): AssemblyApi[] {
  const broken = usage.plans.filter((p) => p.problem !== undefined);
  if (broken.length === 0) return [...apis];
  return apis.map((api) => {
    const plan = broken.find((p) => p.stages.length === 0 || p.stages.some((s) => s.apiId === api.id));
    if (!plan || api.kind !== 'rest') return api;
    return {
      ...api,
      routes: api.routes.map((r) =>
        r.apiKeyRequired && !r.unsupported ? { ...r, unsupported: plan.problem! } : r,
      ),
    };
  });
}

function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function show(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v);
}
