/**
 * Usage tiers for IAM (SigV4) callers: the `roleArn` assignments of common/usage-tiers.ts, as API Gateway
 * can enforce them. One contract for the construct (lib/api/iam-tier-api.ts), the stage checks, the local
 * gateway (local/gateway/usage-limiter.ts) and the signing client (client/api-key.ts). Pure, no CDK, no I/O.
 *
 * Why a companion REST API whose key source is HEADER:
 * - An `AWS_IAM` method runs no Lambda authorizer, so nothing can answer it with a `usageIdentifierKey`,
 *   and the key source is one setting of a whole REST API: `HEADER` (the client sends `X-API-Key`) or
 *   `AUTHORIZER` (the Lambda authorizer names the key), never both
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html).
 *   The Keycloak methods need `AUTHORIZER`; the IAM methods can only get a key from `HEADER`.
 * - A method may combine any authorization type with `apiKeyRequired`: API keys work together with
 *   Lambda authorizers, IAM roles or Cognito, and are not themselves an authorization mechanism
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html,
 *   https://docs.aws.amazon.com/apigateway/latest/api/API_Method.html). So an IAM method of an API with
 *   key source `HEADER` is authorized by SigV4 and counted by the usage plan holding the `X-API-Key` sent.
 * - A usage plan may hold several API stages, and its throttle and quota apply per key aggregated across
 *   them (usage plans page above): a tier's plan covers both APIs, so a pooled tier's key counts a role's
 *   requests in the same bucket as the tier's Keycloak callers.
 * - A method that requires a key and gets none, or one in no plan of the stage, is refused with 403
 *   `Forbidden` (InvalidKeyParameter, api-gateway-api-key-source.html above).
 */
import type { FieldIssue } from './field-issue';
import { fieldIssue, messagesOf } from './field-issue';
import type { TierAssignment, UsageTiersConfig } from './usage-tiers';

/** The header an IAM caller sends its tier's API key in (API Gateway reads it case-insensitively). */
export const API_KEY_HEADER = 'x-api-key';

/** Environment variables the signing client reads the key from: the value itself, or a secret's ARN. */
export const API_KEY_ENV = 'KEYGATE_API_KEY';
export const API_KEY_SECRET_ENV = 'KEYGATE_API_KEY_SECRET_ARN';

/** The `roleArn` assignments (IAM callers), in priority order. */
export function roleArnAssignments(config: UsageTiersConfig): TierAssignment[] {
  return (config.assignments ?? []).filter((a) => a.roleArn !== undefined);
}

/** True when IAM callers are tiered: some assignment names a role. */
export function hasIamTiers(config: UsageTiersConfig): boolean {
  return roleArnAssignments(config).length > 0;
}

/**
 * A role listed twice: the second assignment would never match (the first wins), and the role would
 * read one tier's key while the configuration says another. Refused, naming both entries.
 */
export function duplicateRoleArnErrors(assignments: unknown, field: string): FieldIssue[] {
  if (!Array.isArray(assignments)) return [];
  const first = new Map<string, number>();
  const errors: FieldIssue[] = [];
  assignments.forEach((a: unknown, i) => {
    const arn = (a as { roleArn?: unknown } | null)?.roleArn;
    if (typeof arn !== 'string') return;
    const j = first.get(arn);
    if (j === undefined) first.set(arn, i);
    else
      errors.push(
        fieldIssue(
          `${field}.assignments[${i}].roleArn`,
          `: ${arn} is already assigned by ${field}.assignments[${j}]; an IAM role gets one tier (one API key): remove one`,
        ),
      );
  });
  return errors;
}

interface StageShape {
  readonly usageTiers?: unknown;
  readonly apis?: unknown;
  readonly machinePrincipals?: unknown;
}

/**
 * The stage's IAM tier checks: what API Gateway cannot express. Empty when no assignment names a role.
 * - The HTTP API has no usage plans, and it would serve the same IAM routes to the same roles untiered.
 * - A role that is no machine principal of the stage is granted no route: its tier would never apply.
 * - A role in another account cannot read a secret encrypted with the `aws/secretsmanager` key
 *   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html),
 *   so it could not learn its API key.
 */
export function validateStageIamTiers(stage: StageShape, at: string): string[] {
  return messagesOf(stageIamTierIssues(stage, at));
}

/** validateStageIamTiers' problems, each with the field it is about. */
export function stageIamTierIssues(stage: StageShape, at: string): FieldIssue[] {
  const tiers = stage.usageTiers as { assignments?: unknown } | undefined;
  if (tiers === undefined || !Array.isArray(tiers.assignments)) return [];
  const assigned = tiers.assignments.flatMap((a: unknown, i) => {
    const arn = (a as { roleArn?: unknown } | null)?.roleArn;
    return typeof arn === 'string' ? [{ arn, i }] : [];
  });
  if (assigned.length === 0) return [];
  const errors: FieldIssue[] = [];
  const apis = stage.apis as { http?: unknown } | undefined;
  if (apis?.http !== false)
    errors.push(
      fieldIssue(
        `${at}.usageTiers.assignments[${assigned[0].i}].roleArn`,
        `: IAM callers get tiers on the REST API only (HTTP APIs have no usage plans), and the HTTP API would serve the same IAM routes without a tier; set ${at}.apis.http to false or remove the roleArn assignments`,
      ),
    );
  const principals = Array.isArray(stage.machinePrincipals)
    ? (stage.machinePrincipals as { roleArn?: unknown; crossAccount?: unknown }[])
    : [];
  for (const { arn, i } of assigned)
    if (!principals.some((p) => p.roleArn === arn))
      errors.push(
        fieldIssue(
          `${at}.usageTiers.assignments[${i}].roleArn`,
          `: ${arn} is no role of ${at}.machinePrincipals, so it is granted no route; add it there or remove the assignment`,
        ),
      );
  principals.forEach((p, i) => {
    if (p.crossAccount === true)
      errors.push(
        fieldIssue(
          `${at}.machinePrincipals[${i}].crossAccount`,
          `: with roleArn usage tiers every IAM caller sends an API key read from Secrets Manager, which a role of another account cannot read from a secret under the aws/secretsmanager key; call from a role of this account`,
        ),
      );
  });
  return errors;
}
