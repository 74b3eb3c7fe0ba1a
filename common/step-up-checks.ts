/**
 * The checks of a configuration's step-up parts (common/step-up.ts holds the rules): a requirement's
 * `stepUp`, an issuer's `acrLoaMap`, and step-up routes against the issuers in scope and the result-cache TTL. Used at synth
 * (the stage and the constructs) and at the authorizer's cold start, where they come with its step-up
 * module (`step-up.js`), loaded only by a configuration with step-up.
 */
import { isIntIn } from './field-checks';
import type { FieldIssue } from './field-issue';
import { fieldIssue, messagesOf } from './field-issue';
import type { AcrLoaMap, StepUpRequirement } from './step-up';
import {
  acrValuesFor,
  MAX_LOA,
  MAX_STEP_UP_AGE_SECONDS,
  METHOD_OR_ACR,
  UNKNOWN_TTL_SECONDS,
} from './step-up';

/** Shape of `requirement.stepUp`; issuer levels and the cache TTL are checked with the config. */
export function validateStepUp(value: unknown, at: string): string[] {
  return messagesOf(stepUpIssues(value, at));
}

/** validateStepUp's problems, each with the field it is about. */
export function stepUpIssues(value: unknown, at: string): FieldIssue[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [fieldIssue(at, 'must be an object')];
  const s = value as Record<string, unknown>;
  const errors: FieldIssue[] = [];
  for (const k of Object.keys(s)) {
    if (k !== 'minLoa' && k !== 'amr' && k !== 'maxAgeSeconds')
      errors.push(fieldIssue(`${at}.${k}`, 'is not a step-up field (minLoa, amr, maxAgeSeconds)'));
  }
  if (s.minLoa === undefined && s.amr === undefined && s.maxAgeSeconds === undefined)
    errors.push(fieldIssue(at, 'must set minLoa, amr or maxAgeSeconds'));
  if (s.minLoa !== undefined && !isIntIn(s.minLoa, 0, MAX_LOA))
    errors.push(fieldIssue(`${at}.minLoa`, `must be an integer from 0 to ${MAX_LOA}`));
  if (
    s.amr !== undefined &&
    (!Array.isArray(s.amr) ||
      s.amr.length === 0 ||
      !s.amr.every((m) => typeof m === 'string' && METHOD_OR_ACR.test(m)))
  )
    errors.push(
      fieldIssue(`${at}.amr`, 'must be a non-empty list of method names (letters, digits, . _ : ~ + / -)'),
    );
  if (s.maxAgeSeconds !== undefined && !isIntIn(s.maxAgeSeconds, 1, MAX_STEP_UP_AGE_SECONDS))
    errors.push(fieldIssue(`${at}.maxAgeSeconds`, `must be an integer from 1 to ${MAX_STEP_UP_AGE_SECONDS}`));
  return errors;
}

/** Shape of an issuer's `acrLoaMap`. */
export function validateAcrLoaMap(value: unknown, at: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${at} must be an object`];
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return [`${at} must map at least one acr value to a level`];
  const errors: string[] = [];
  for (const [acr, level] of entries) {
    if (!METHOD_OR_ACR.test(acr))
      errors.push(`${at}: '${acr}' is not an acr value (letters, digits, . _ : ~ + / -, at most 64)`);
    if (!isIntIn(level, 0, MAX_LOA))
      errors.push(`${at}.${acr} must be an integer level from 0 to ${MAX_LOA}`);
  }
  return errors;
}

/** A route as far as the cross-checks need it. */
interface StepUpRoute {
  readonly method: string;
  readonly path: string;
  readonly auth: string;
  readonly requirement?: { readonly issuers?: readonly string[]; readonly stepUp?: StepUpRequirement };
}

/**
 * Step-up requirements against the issuers in scope and the result-cache TTL: a `minLoa` needs every
 * issuer in scope to map some acr to that level or above (else no token of it could ever meet it), and
 * a `maxAgeSeconds` must exceed the TTL (else no cached answer could grant the route).
 */
export function validateStepUpRoutes(
  issuers: readonly { readonly url: string; readonly acrLoaMap?: AcrLoaMap }[],
  routes: readonly StepUpRoute[],
  resultCacheTtlSeconds: number | undefined,
  field = 'routes',
): string[] {
  const errors: string[] = [];
  routes.forEach((route, n) => {
    const stepUp = route.requirement?.stepUp;
    if (route.auth !== 'keycloak' || stepUp === undefined) return;
    const at = `${field}[${n}] (${route.method} ${route.path}).requirement.stepUp`;
    if (stepUp.minLoa !== undefined) {
      const scope = route.requirement?.issuers;
      for (const issuer of issuers) {
        if (scope !== undefined && !scope.includes(issuer.url)) continue;
        if (acrValuesFor(issuer.acrLoaMap, stepUp.minLoa).length === 0) {
          errors.push(
            `${at}.minLoa: issuer ${issuer.url} ${issuer.acrLoaMap ? 'maps no acr to' : 'declares no acrLoaMap, so no acr reaches'} ` +
              `level ${stepUp.minLoa} or above; set its acrLoaMap (Keycloak's acr.loa.map)`,
          );
        }
      }
    }
    const ttl = resultCacheTtlSeconds ?? UNKNOWN_TTL_SECONDS;
    if (stepUp.maxAgeSeconds !== undefined && stepUp.maxAgeSeconds <= ttl) {
      errors.push(
        `${at}.maxAgeSeconds (${stepUp.maxAgeSeconds}) must exceed the authorizer result cache TTL ` +
          `(${resultCacheTtlSeconds === undefined ? `unknown, taken as ${UNKNOWN_TTL_SECONDS}` : ttl} s): a cached ` +
          'answer is replayed for up to the TTL, so the route is granted only while the sign-in stays within ' +
          'maxAgeSeconds for that long; lower resultCacheTtlSeconds',
      );
    }
  });
  return errors;
}
