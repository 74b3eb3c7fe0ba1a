/**
 * Per-caller usage keys: a tier with `perCaller: true` gives every caller an API key of its own in the
 * tier's usage plan, so API Gateway throttles and caps each caller by the tier's numbers instead of all the
 * tier's callers together (a usage plan counts per API key:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html).
 *
 * The key value is derived, never stored: HMAC-SHA256 of the caller's identity (issuer and subject of the
 * verified token) under the tier's secret. So
 * - it is a function of the token alone, like the tier: an answer API Gateway caches per token and replays
 *   on another route names the same key (the cache-replay property of common/usage-tiers.ts);
 * - every container of the authorizer computes the same value without sharing state;
 * - the value is 64 hex digits, inside API Gateway's 20 to 128 alphanumeric characters
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-apikey.html);
 * - the record that says the key is registered is named by a SHA-256 of the value, which does not give the
 *   value back, and the API key's name is made from that record id: neither the value nor the caller's
 *   identity appears in a name.
 *
 * Pure: node:crypto only.
 */
import { createHash, createHmac } from 'node:crypto';
import type { FieldIssue } from './field-issue';
import { fieldIssue, unknownFieldIssues } from './field-issue';

/** The authorizer's `usage.callerKeys` block: where per-caller keys are registered. */
export interface CallerKeysConfig {
  /** The DynamoDB table recording each registered caller key (partition key `id`, a string). */
  readonly table: string;
  /**
   * The per-caller tiers. Their usage plans are found at run time by the tag CALLER_KEY_PLAN_TAG and the
   * API stage of the request: a plan id in the function's configuration would make the function depend on
   * the plan, which depends on the stage, whose methods depend on the function (a dependency cycle).
   */
  readonly tiers: readonly string[];
}

/** The tag naming a per-caller tier's usage plan (its value: the tier). */
export const CALLER_KEY_PLAN_TAG = 'keygate:usage-tier';

/** Who a per-caller key belongs to: the verified token's issuer and subject. */
export interface CallerIdentity {
  readonly issuer?: string;
  readonly sub: string;
}

/** The DynamoDB table's partition key attribute. */
export const CALLER_KEY_TABLE_PARTITION_KEY = 'id';

/** Longest identity part accepted (an OIDC `sub` is at most 255 ASCII characters, OIDC Core 5.1). */
const MAX_IDENTITY = 2048;

/**
 * The API key value of a caller in a per-caller tier. Undefined when the identity has no subject (such a
 * caller cannot be told apart from another, so it gets no key of its own: fail closed).
 */
export function callerKeyValue(tierSecret: string, tier: string, who: CallerIdentity): string | undefined {
  if (who.sub.length === 0 || who.sub.length > MAX_IDENTITY || (who.issuer?.length ?? 0) > MAX_IDENTITY)
    return undefined;
  // Length-prefixed parts: no two (tier, issuer, sub) triples give the same input.
  const parts = [tier, who.issuer ?? '', who.sub];
  const input = parts.map((p) => `${p.length}:${p}`).join('|');
  return createHmac('sha256', tierSecret).update(input, 'utf8').digest('hex');
}

/** The record id of a caller key: names the DynamoDB item and the API key, never the value itself. */
export function callerKeyRecordId(tier: string, keyValue: string): string {
  return `${tier}.${createHash('sha256').update(keyValue, 'utf8').digest('hex').slice(0, 40)}`;
}

/** The API key's name in API Gateway (at most 1024 characters; unique per caller). */
export function callerKeyName(recordId: string): string {
  return `keygate-caller-${recordId}`;
}

/** The REST API id and stage of a method ARN prefix (`arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/`). */
export function apiStageOf(arnPrefix: string): { apiId: string; stage: string } | undefined {
  const m = /^arn:[a-z-]+:execute-api:[a-z0-9-]+:\d{12}:([A-Za-z0-9]+)\/([A-Za-z0-9_-]+)\/$/.exec(arnPrefix);
  return m ? { apiId: m[1], stage: m[2] } : undefined;
}

/**
 * Checks the authorizer's `usage.callerKeys` block against the tiers that have key secrets; each problem
 * names its field (`usage.callerKeys.tiers[1]`).
 */
export function validateCallerKeysBlock(
  input: unknown,
  field: string,
  tiers: readonly string[],
): FieldIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [fieldIssue(field, 'must be an object { table, tiers }')];
  const o = input as Record<string, unknown>;
  const errors = unknownFieldIssues(o, ['table', 'tiers'], field);
  // Length only: at synth the name is a CloudFormation reference.
  if (typeof o.table !== 'string' || o.table.length === 0 || o.table.length > 1024)
    errors.push(fieldIssue(`${field}.table`, 'must be a DynamoDB table name'));
  if (!Array.isArray(o.tiers) || o.tiers.length === 0) {
    errors.push(fieldIssue(`${field}.tiers`, 'must list at least one per-caller tier'));
    return errors;
  }
  (o.tiers as unknown[]).forEach((tier, n) => {
    if (typeof tier !== 'string' || !tiers.includes(tier))
      errors.push({
        path: `${field}.tiers[${n}]`,
        message: `${field}.tiers: ${String(tier)} is not a tier with a key secret (${tiers.join(', ')})`,
      });
  });
  return errors;
}
