/**
 * Usage tiers: per-caller throttles and quotas on a REST API, as API Gateway usage plans enforce them.
 * One contract for the stage configuration (`keygate.stages.<name>.usageTiers`), the SecuredRestApi
 * construct (which creates one usage plan and one API key per tier), the authorizer (which answers each
 * caller with its tier's key as `usageIdentifierKey`) and the local gateway (which enforces the same
 * numbers in memory). Types, checks and the tier choice only: pure, no CDK, no I/O.
 *
 * How API Gateway applies them:
 * - With the API's key source `AUTHORIZER`, API Gateway reads the API key from the `usageIdentifierKey`
 *   of the Lambda authorizer's answer and throttles and caps the request by the usage plan holding that
 *   key; a method must require an API key for the plan to apply.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 * - A usage plan has one throttle (rate and burst), an optional quota per DAY, WEEK or MONTH, and
 *   optional throttles per method of each API stage. Over either limit API Gateway answers 429 itself
 *   (`Too Many Requests` for the throttle, `Limit Exceeded` for the quota).
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-usageplan-quotasettings.html
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
 * - Every key a plan holds shares the plan's numbers *per key*: all callers of one tier answered with the
 *   same key share one bucket and one quota. A tier is therefore a pool (a team, a batch client), not a
 *   per-person allowance.
 *
 * The tier of a caller depends on the verified token alone (its roles and groups), never on the route,
 * so an answer API Gateway caches per token and replays for other routes carries the right key.
 */
import { duplicateRoleArnErrors, stageIamTierIssues } from './usage-tiers-iam';
import type { Principal } from './route-model';
import { ACCOUNT_THROTTLE_BURST, ACCOUNT_THROTTLE_RATE_PER_SECOND } from './aws-limits';
import { isIntIn } from './field-checks';
import type { CallerKeysConfig } from './usage-caller-keys';
import { validateCallerKeysBlock } from './usage-caller-keys';
import type { FieldIssue } from './field-issue';
import { fieldIssue, messagesOf, unknownFieldIssues } from './field-issue';

/** Quota periods a usage plan accepts (QuotaSettings.Period). */
export const USAGE_QUOTA_PERIODS = ['DAY', 'WEEK', 'MONTH'] as const;
export type UsageQuotaPeriod = (typeof USAGE_QUOTA_PERIODS)[number];

/** Largest quota limit API Gateway stores (an Integer). */
export const MAX_QUOTA_LIMIT = 2_147_483_647;

/** A token bucket: steady requests per second and the bucket's size. */
export interface UsageThrottle {
  /** Requests per second (above 0, at most the account's 10,000). */
  readonly rateLimit: number;
  /** Bucket size (an integer from 0 to the account's 5,000). */
  readonly burstLimit: number;
}

export interface UsageQuota {
  /** Requests per period (an integer from 1). */
  readonly limit: number;
  readonly period: UsageQuotaPeriod;
}

export interface UsageTier extends UsageThrottle {
  /** @default - no quota: the throttle alone */
  readonly quota?: UsageQuota;
  /**
   * Throttles per route key (`POST /models/{modelId}/stream`) for this tier, a usage plan's per-method
   * throttle. A route serves every model its path parameter names, so a model gets an override of its
   * own only through a route of its own. @default - the tier's throttle on every route
   */
  readonly routeThrottles?: Readonly<Record<string, UsageThrottle>>;
  /**
   * Every caller of the tier gets an API key of its own (common/usage-caller-keys.ts), so the rate, burst
   * and quota apply to each caller rather than to all the tier's callers together. Each caller costs one
   * of the account's 10,000 API keys per Region (docs/quotas.md). @default false (one key: a pool)
   */
  readonly perCaller?: boolean;
}

/**
 * Which tier a caller gets: exactly one of the matchers. Listed in priority order; the first that
 * matches wins, and a caller matched by none gets `defaultTier`.
 */
export interface TierAssignment {
  readonly tier: string;
  /** A realm role the token carries. */
  readonly realmRole?: string;
  /** A client role, written `<clientId>:<role>` as in route requirements. */
  readonly clientRole?: string;
  /** A group path the token carries (`/ml/batch`). */
  readonly group?: string;
  /** An IAM role ARN (SigV4 callers of iam routes). */
  readonly roleArn?: string;
}

export interface UsageTiersConfig {
  /** Tier name (lower-case letters, digits and -) → its limits. */
  readonly tiers: Readonly<Record<string, UsageTier>>;
  /** The tier of every caller no assignment matches. */
  readonly defaultTier: string;
  /** @default [] (everyone gets defaultTier) */
  readonly assignments?: readonly TierAssignment[];
}

/** Matchers that read a verified token (the authorizer's share of the assignments). */
export type TokenTierAssignment = Omit<TierAssignment, 'roleArn'>;

/**
 * The authorizer's `usage` block: the token matchers, the default tier, and per tier the Secrets Manager
 * secret holding that tier's API key value (the secret string is the value itself, USAGE_KEY_VALUE). The
 * values are read at run time, once per container; never written into the configuration.
 */
export interface UsageKeysConfig {
  readonly defaultTier: string;
  readonly assignments: readonly TokenTierAssignment[];
  readonly keySecrets: Readonly<Record<string, string>>;
  /**
   * With per-caller tiers: their usage plans and the table recording registered caller keys. A tier named
   * here answers each caller with a key derived from its secret (usage-caller-keys.ts) instead of the
   * secret itself. @default - no per-caller tier
   */
  readonly callerKeys?: CallerKeysConfig;
}

/** Tier names: they name usage plans, API keys and secrets. */
export const TIER_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * An API key value as the constructs generate it (Secrets Manager, letters and digits only) and as the
 * authorizer accepts it back. API Gateway requires at least 20 characters.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-apikey.html
 */
export const USAGE_KEY_LENGTH = 40;
export const USAGE_KEY_VALUE = /^[A-Za-z0-9]{20,128}$/;

const MATCHERS = ['realmRole', 'clientRole', 'group', 'roleArn'] as const;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/;
const ROUTE_KEY = /^[A-Z]+ \/\S*$/;

export interface UsageTiersCheckOptions {
  /** Route keys the API has: a route throttle must name one of them. @default - not checked */
  readonly routeKeys?: readonly string[];
  /** The stage's own throttle: a tier faster than it is refused. @default - not checked */
  readonly stageThrottle?: UsageThrottle;
}

/**
 * Checks a `usageTiers` value. Returns the messages (empty when valid), each naming the field under
 * `field` and the fix.
 */
export function validateUsageTiers(
  input: unknown,
  field: string,
  options: UsageTiersCheckOptions = {},
): string[] {
  return messagesOf(usageTierIssues(input, field, options));
}

/** validateUsageTiers' problems, each with the field it is about (`usageTiers.tiers.batch.quota.period`). */
export function usageTierIssues(
  input: unknown,
  field: string,
  options: UsageTiersCheckOptions = {},
): FieldIssue[] {
  if (!isRecord(input)) return [fieldIssue(field, 'must be an object { tiers, defaultTier, assignments }')];
  const errors: FieldIssue[] = [];
  unknown(input, ['tiers', 'defaultTier', 'assignments'], field, errors);
  const tiers = input.tiers;
  const names = isRecord(tiers) ? Object.keys(tiers) : [];
  if (!isRecord(tiers) || names.length === 0) {
    errors.push(
      fieldIssue(`${field}.tiers`, 'must map at least one tier name to { rateLimit, burstLimit, quota? }'),
    );
  } else {
    for (const [name, tier] of Object.entries(tiers)) {
      const at = `${field}.tiers.${name}`;
      if (!TIER_NAME.test(name)) {
        errors.push(
          fieldIssue(
            at,
            ': a tier name must be a lower-case letter then up to 31 lower-case letters, digits or -',
          ),
        );
        continue;
      }
      errors.push(...tierErrors(tier, at, options));
    }
  }
  if (typeof input.defaultTier !== 'string' || !names.includes(input.defaultTier)) {
    errors.push(
      fieldIssue(
        `${field}.defaultTier`,
        `must name one of the tiers (${names.join(', ') || 'none declared'}): callers no assignment matches get it`,
      ),
    );
  }
  if (input.assignments !== undefined) {
    if (!Array.isArray(input.assignments)) errors.push(fieldIssue(`${field}.assignments`, 'must be a list'));
    else
      input.assignments.forEach((a, i) =>
        errors.push(...assignmentErrors(a, `${field}.assignments[${i}]`, names)),
      );
    errors.push(...duplicateRoleArnErrors(input.assignments, field));
  }
  return errors;
}

function tierErrors(tier: unknown, at: string, options: UsageTiersCheckOptions): FieldIssue[] {
  if (!isRecord(tier))
    return [
      fieldIssue(at, 'must be an object { rateLimit, burstLimit, quota?, routeThrottles?, perCaller? }'),
    ];
  const errors: FieldIssue[] = [];
  unknown(tier, ['rateLimit', 'burstLimit', 'quota', 'routeThrottles', 'perCaller'], at, errors);
  if (tier.perCaller !== undefined && typeof tier.perCaller !== 'boolean')
    errors.push(
      fieldIssue(
        `${at}.perCaller`,
        `must be true (an API key per caller) or false (one key shared by the tier's callers)`,
      ),
    );
  errors.push(...throttleErrors(tier, at, options.stageThrottle));
  if (tier.quota !== undefined) {
    const q = tier.quota;
    if (!isRecord(q)) errors.push(fieldIssue(`${at}.quota`, 'must be an object { limit, period }'));
    else {
      unknown(q, ['limit', 'period'], `${at}.quota`, errors);
      if (!isIntIn(q.limit, 1, MAX_QUOTA_LIMIT))
        errors.push(
          fieldIssue(
            `${at}.quota.limit`,
            `must be an integer from 1 to ${MAX_QUOTA_LIMIT} (requests per period)`,
          ),
        );
      if (!(USAGE_QUOTA_PERIODS as readonly unknown[]).includes(q.period))
        errors.push(
          fieldIssue(
            `${at}.quota.period`,
            `must be one of ${USAGE_QUOTA_PERIODS.join(', ')}: a usage plan counts a quota per day, week or month`,
          ),
        );
    }
  }
  if (tier.routeThrottles !== undefined) {
    if (!isRecord(tier.routeThrottles))
      errors.push(fieldIssue(`${at}.routeThrottles`, 'must map route keys to { rateLimit, burstLimit }'));
    else
      for (const [key, t] of Object.entries(tier.routeThrottles)) {
        const f = `${at}.routeThrottles['${key}']`;
        if (!ROUTE_KEY.test(key)) errors.push(fieldIssue(f, `: the key must be a route key 'METHOD /path'`));
        else if (options.routeKeys && !options.routeKeys.includes(key))
          errors.push(fieldIssue(f, `: no route of the API has this key (${options.routeKeys.join(', ')})`));
        if (!isRecord(t)) errors.push(fieldIssue(f, 'must be an object { rateLimit, burstLimit }'));
        else {
          unknown(t, ['rateLimit', 'burstLimit'], f, errors);
          errors.push(...throttleErrors(t, f, options.stageThrottle));
        }
      }
  }
  return errors;
}

function throttleErrors(
  t: Record<string, unknown>,
  at: string,
  stage: UsageThrottle | undefined,
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  const rate = t.rateLimit;
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) {
    errors.push(fieldIssue(`${at}.rateLimit`, 'must be a number of requests per second above 0'));
  } else if (rate > ACCOUNT_THROTTLE_RATE_PER_SECOND) {
    errors.push(
      fieldIssue(
        `${at}.rateLimit`,
        `${rate} is above the account's API Gateway throttle of ${ACCOUNT_THROTTLE_RATE_PER_SECOND} requests per second (common/aws-limits.ts); lower it`,
      ),
    );
  } else if (stage !== undefined && rate > stage.rateLimit) {
    errors.push(
      fieldIssue(
        `${at}.rateLimit`,
        `${rate} is above the stage throttle's ${stage.rateLimit}: raise throttling.rateLimit or lower the tier`,
      ),
    );
  }
  const burst = t.burstLimit;
  if (!isIntIn(burst, 0, Number.MAX_SAFE_INTEGER)) {
    errors.push(fieldIssue(`${at}.burstLimit`, 'must be an integer from 0'));
  } else if ((burst as number) > ACCOUNT_THROTTLE_BURST) {
    errors.push(
      fieldIssue(
        `${at}.burstLimit`,
        `${String(burst)} is above the account's API Gateway burst of ${ACCOUNT_THROTTLE_BURST} (common/aws-limits.ts); lower it`,
      ),
    );
  } else if (stage !== undefined && (burst as number) > stage.burstLimit) {
    errors.push(
      fieldIssue(
        `${at}.burstLimit`,
        `${String(burst)} is above the stage throttle's ${stage.burstLimit}: raise throttling.burstLimit or lower the tier`,
      ),
    );
  }
  return errors;
}

function assignmentErrors(a: unknown, at: string, tiers: readonly string[]): FieldIssue[] {
  if (!isRecord(a))
    return [fieldIssue(at, 'must be an object { tier, realmRole | clientRole | group | roleArn }')];
  const errors: FieldIssue[] = [];
  unknown(a, ['tier', ...MATCHERS], at, errors);
  if (typeof a.tier !== 'string' || !tiers.includes(a.tier))
    errors.push(fieldIssue(`${at}.tier`, `must name one of the tiers (${tiers.join(', ')})`));
  const given = MATCHERS.filter((m) => a[m] !== undefined);
  if (given.length !== 1) {
    errors.push(fieldIssue(at, 'must have exactly one of realmRole, clientRole, group or roleArn'));
    return errors;
  }
  const m = given[0];
  const v = a[m];
  if (typeof v !== 'string' || v.length === 0 || v.length > 1024)
    errors.push(fieldIssue(`${at}.${m}`, 'must be a non-empty string'));
  else if (m === 'roleArn' && !ROLE_ARN.test(v))
    errors.push(fieldIssue(`${at}.roleArn`, 'must be an IAM role ARN'));
  else if (m === 'clientRole' && !/^[^:\s]+:\S+$/.test(v))
    errors.push(fieldIssue(`${at}.clientRole`, 'must be written <clientId>:<role>'));
  return errors;
}

/**
 * Checks the authorizer's `usage` block (the runtime's share of the tiers); each problem names its field
 * (`usage.assignments[0].tier`).
 */
export function validateUsageKeysBlock(input: unknown, field = 'usage'): FieldIssue[] {
  if (!isRecord(input))
    return [fieldIssue(field, 'must be an object { defaultTier, assignments, keySecrets }')];
  const errors: FieldIssue[] = [];
  unknown(input, ['defaultTier', 'assignments', 'keySecrets', 'callerKeys'], field, errors);
  const secrets = input.keySecrets;
  const names = isRecord(secrets) ? Object.keys(secrets) : [];
  if (!isRecord(secrets) || names.length === 0) {
    errors.push(
      fieldIssue(`${field}.keySecrets`, 'must map at least one tier name to the secret holding its API key'),
    );
  } else {
    for (const [name, id] of Object.entries(secrets)) {
      if (!TIER_NAME.test(name)) errors.push(fieldIssue(`${field}.keySecrets.${name}`, ': not a tier name'));
      if (typeof id !== 'string' || id.length === 0 || id.length > 2048)
        errors.push(fieldIssue(`${field}.keySecrets.${name}`, 'must be a secret ARN or name'));
    }
  }
  if (typeof input.defaultTier !== 'string' || !names.includes(input.defaultTier))
    errors.push(fieldIssue(`${field}.defaultTier`, `must name one of keySecrets' tiers`));
  if (input.callerKeys !== undefined)
    errors.push(...validateCallerKeysBlock(input.callerKeys, `${field}.callerKeys`, names));
  if (!Array.isArray(input.assignments)) errors.push(fieldIssue(`${field}.assignments`, 'must be a list'));
  else
    input.assignments.forEach((a, i) => {
      const at = `${field}.assignments[${i}]`;
      errors.push(...assignmentErrors(a, at, names));
      if (isRecord(a) && a.roleArn !== undefined)
        errors.push({
          path: `${at}.roleArn`,
          message: `${at}: roleArn matches IAM callers, which the authorizer never sees`,
        });
    });
  return errors;
}

/** The tier of a verified caller: the first assignment its token meets, else the default. */
export function tierForPrincipal(
  principal: Pick<Principal, 'realmRoles' | 'clientRoles' | 'groups'>,
  assignments: readonly TierAssignment[],
  defaultTier: string,
): string {
  for (const a of assignments) {
    if (
      (a.realmRole !== undefined && principal.realmRoles.includes(a.realmRole)) ||
      (a.clientRole !== undefined && principal.clientRoles.includes(a.clientRole)) ||
      (a.group !== undefined && principal.groups.includes(a.group))
    )
      return a.tier;
  }
  return defaultTier;
}

/** The tier of a SigV4 caller, by the ARN of the role it signed with; else the default. */
export function tierForRoleArn(
  roleArn: string | undefined,
  assignments: readonly TierAssignment[],
  defaultTier: string,
): string {
  if (roleArn !== undefined) for (const a of assignments) if (a.roleArn === roleArn) return a.tier;
  return defaultTier;
}

/** The token matchers of a tiers config (what the authorizer needs). */
export function tokenAssignments(config: UsageTiersConfig): TokenTierAssignment[] {
  return (config.assignments ?? []).filter((a) => a.roleArn === undefined);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknown(
  o: Record<string, unknown>,
  known: readonly string[],
  at: string,
  errors: FieldIssue[],
): void {
  errors.push(...unknownFieldIssues(o, known, at));
}

/**
 * The stage configuration's `usageTiers` checks: the tiers themselves, route throttles naming keycloak
 * routes of the stage, tiers within the stage throttle, and a REST API to carry them.
 */
export function validateStageUsageTiers(stage: Record<string, unknown>, at: string): string[] {
  return messagesOf(stageUsageTierIssues(stage, at));
}

/** validateStageUsageTiers' problems, each with the field it is about. */
export function stageUsageTierIssues(stage: Record<string, unknown>, at: string): FieldIssue[] {
  if (stage.usageTiers === undefined) return [];
  const field = `${at}.usageTiers`;
  const apis = stage.apis as { rest?: unknown } | undefined;
  if (isRecord(apis) && apis.rest === false)
    return [
      fieldIssue(
        field,
        'needs the REST API (apis.rest): HTTP APIs have no usage plans; use throttling alone',
      ),
    ];
  const routes = Array.isArray(stage.routes) ? (stage.routes as unknown[]) : [];
  const routeKeys = routes.flatMap((r) =>
    isRecord(r) && r.auth === 'keycloak' && typeof r.method === 'string' && typeof r.path === 'string'
      ? [`${r.method} ${r.path}`]
      : [],
  );
  const t = stage.throttling;
  const stageThrottle =
    isRecord(t) && typeof t.rateLimit === 'number' && typeof t.burstLimit === 'number'
      ? { rateLimit: t.rateLimit, burstLimit: t.burstLimit }
      : undefined;
  return [
    ...usageTierIssues(stage.usageTiers, field, { routeKeys, stageThrottle }),
    ...stageIamTierIssues(stage, at),
  ];
}

/** The tiers that give each caller a key of its own (`perCaller: true`). */
export function perCallerTiers(config: UsageTiersConfig): string[] {
  return Object.entries(config.tiers).flatMap(([name, t]) => (t.perCaller === true ? [name] : []));
}
