/**
 * Step-up authentication per route (RFC 9470): a route requirement may demand how strongly, how, and how
 * recently the caller signed in, read from the verified token's `acr`, `amr` and `auth_time`. Plain types
 * and pure functions, shared by the authorizer, the constructs, the local gateway and the realm definition.
 *
 * Levels. `acr` values are the issuer's names (`gold`, `1`, ...); what orders them is the issuer's
 * ACR-to-LoA mapping, declared per issuer in the config (`acrLoaMap`, the same map Keycloak keeps in the
 * realm or client attribute `acr.loa.map`:
 * https://www.keycloak.org/docs/latest/server_admin/#_mapping-acr-to-loa-realm). A route asks for a
 * level number (`minLoa`), so one requirement reads alike for every issuer in its scope. An `acr` the
 * issuer's map does not define has no level: it meets no `minLoa`, and the refusal says `acr_unknown`.
 *
 * Time. A route's `maxAgeSeconds` bounds the age of the sign-in (`auth_time`). API Gateway replays a
 * cached answer for up to the result-cache TTL, so a route with a bound is granted only while the sign-in
 * stays young enough for that whole time: `auth_time + maxAgeSeconds >= now + ttl` (docs/step-up.md).
 */

/** What a route demands of the sign-in behind a token. At least one field is set. */
export interface StepUpRequirement {
  /** The least level of assurance, in the order of the issuer's `acrLoaMap`. @default - any level */
  readonly minLoa?: number;
  /** Authentication methods (`amr` entries, e.g. `otp`, `mfa`) that must all be present. @default - none */
  readonly amr?: readonly string[];
  /** The most seconds since the sign-in (`auth_time`). @default - no bound */
  readonly maxAgeSeconds?: number;
}

/** An issuer's ACR-to-LoA mapping: acr value -> level (a non-negative integer). */
export type AcrLoaMap = Readonly<Record<string, number>>;

/** The sign-in facts of a verified token, as far as they are well formed. */
export interface Assurance {
  /** The token's `acr`, when a string. */
  readonly acr?: string;
  /** The level the issuer's map gives `acr`; absent when the map does not define it (or there is none). */
  readonly loa?: number;
  /** The token carries an `acr` that the issuer declared a map for but the map does not define. */
  readonly acrUnknown?: boolean;
  /** The token's `amr` entries (empty when absent or not a list of strings). */
  readonly amr: readonly string[];
  /** The token's `auth_time`, seconds since epoch, when a number. */
  readonly authTime?: number;
  /**
   * The instant (seconds since epoch) up to which the answer must stay right: now plus the time API
   * Gateway may replay it. Set by the authorizer per request. @default - the bound is not met
   */
  readonly validThrough?: number;
}

/** The authorizer-context key carrying the RFC 9470 challenge of a step-up refusal. */
export const STEP_UP_CONTEXT_KEY = 'stepUp';

/** Highest level accepted in a map or a requirement (Keycloak levels are small integers). */
export const MAX_LOA = 100;
/** Longest `maxAgeSeconds` accepted: one day. */
export const MAX_STEP_UP_AGE_SECONDS = 86_400;
/**
 * The result-cache TTL assumed when the config does not state one: API Gateway's maximum, so a route
 * with `maxAgeSeconds` is never granted for longer than a replay could last.
 */
export const UNKNOWN_TTL_SECONDS = 3600;

/** An `acr` or `amr` value: a short token with no whitespace, quotes or backslashes (challenge-safe). */
export const METHOD_OR_ACR = /^[A-Za-z0-9._:~+/-]{1,64}$/;

/** The sign-in facts of verified claims. Wrongly typed claims are treated as absent (they meet nothing). */
export function assuranceOf(
  claims: Readonly<Record<string, unknown>>,
  map: AcrLoaMap | undefined,
): Assurance {
  const acr = typeof claims.acr === 'string' ? claims.acr : undefined;
  const level = acr !== undefined && map !== undefined && Object.hasOwn(map, acr) ? map[acr] : undefined;
  const amr =
    Array.isArray(claims.amr) && claims.amr.every((m) => typeof m === 'string')
      ? (claims.amr as string[])
      : [];
  const authTime =
    typeof claims.auth_time === 'number' && Number.isFinite(claims.auth_time) ? claims.auth_time : undefined;
  // Members set one by one, not spread from conditional objects: this runs for every fresh token.
  const assurance: { -readonly [K in keyof Assurance]: Assurance[K] } = { amr };
  if (acr !== undefined) assurance.acr = acr;
  if (level !== undefined) assurance.loa = level;
  if (acr !== undefined && map !== undefined && level === undefined) assurance.acrUnknown = true;
  if (authTime !== undefined) assurance.authTime = authTime;
  return assurance;
}

/**
 * Does the sign-in meet the step-up requirement through `validThrough` (by default the assurance's own)?
 * Fails closed.
 */
export function meetsStepUp(
  req: StepUpRequirement,
  assurance: Assurance | undefined,
  validThrough = assurance?.validThrough,
): boolean {
  if (assurance === undefined) return false;
  if (req.minLoa !== undefined && (assurance.loa === undefined || assurance.loa < req.minLoa)) return false;
  for (const m of req.amr ?? []) if (!assurance.amr.includes(m)) return false;
  if (req.maxAgeSeconds !== undefined) {
    const authTime = assurance.authTime;
    if (authTime === undefined || validThrough === undefined) return false;
    if (authTime + req.maxAgeSeconds < validThrough) return false;
  }
  return true;
}

/**
 * A requirement without its step-up demand: what a model backend can re-check. The backend reads the
 * identity context the authorizer passes, which carries no sign-in facts (`acr`, `amr`, `auth_time`), so
 * a re-checked step-up would refuse every caller the authorizer let through; step-up stays with the
 * authorizer, the only one that sees the verified token.
 */
export function withoutStepUp<T extends { readonly stepUp?: StepUpRequirement } | undefined>(
  requirement: T,
): T {
  if (requirement?.stepUp === undefined) return requirement;
  const rest: { stepUp?: StepUpRequirement } = { ...requirement };
  delete rest.stepUp;
  return rest as T;
}

/**
 * The requirement a sign-in must meet to satisfy all of these: the highest level, every method, the
 * shortest age. Undefined for none.
 */
export function joinStepUp(reqs: readonly StepUpRequirement[]): StepUpRequirement | undefined {
  if (reqs.length === 0) return undefined;
  const levels = reqs.flatMap((r) => (r.minLoa === undefined ? [] : [r.minLoa]));
  const ages = reqs.flatMap((r) => (r.maxAgeSeconds === undefined ? [] : [r.maxAgeSeconds]));
  const amr = [...new Set(reqs.flatMap((r) => r.amr ?? []))];
  return {
    ...(levels.length > 0 ? { minLoa: Math.max(...levels) } : {}),
    ...(amr.length > 0 ? { amr } : {}),
    ...(ages.length > 0 ? { maxAgeSeconds: Math.min(...ages) } : {}),
  };
}

/** The issuer's acr values of at least this level, lowest level first (ties in name order). */
export function acrValuesFor(map: AcrLoaMap | undefined, minLoa: number): string[] {
  if (map === undefined) return [];
  return Object.entries(map)
    .filter(([, level]) => level >= minLoa)
    .sort(([a, la], [b, lb]) => la - lb || (a < b ? -1 : a > b ? 1 : 0))
    .map(([acr]) => acr);
}

/**
 * The `WWW-Authenticate` challenge of RFC 9470 section 3 for a requirement, with the acr values of the
 * token's issuer. Methods have no parameter of their own in RFC 9470: they are named in
 * `error_description`. Every value is challenge-safe (validated names, integers).
 */
export function stepUpChallenge(req: StepUpRequirement, map: AcrLoaMap | undefined): string {
  const parts = ['Bearer error="insufficient_user_authentication"'];
  const methods = req.amr !== undefined && req.amr.length > 0 ? ` with ${req.amr.join(', ')}` : '';
  parts.push(`error_description="A stronger or more recent sign-in is required${methods}"`);
  if (req.minLoa !== undefined) {
    const acrs = acrValuesFor(map, req.minLoa);
    if (acrs.length > 0) parts.push(`acr_values="${acrs.join(' ')}"`);
  }
  if (req.maxAgeSeconds !== undefined) parts.push(`max_age=${req.maxAgeSeconds}`);
  return parts.join(', ');
}

// ---------------------------------------------------------------------------------------------------------
// Browser sign-in: the level a client asks the sign-in route for

/** What `/auth/login` passes on to the authorization request (OpenID Connect Core 1.0, 3.1.2.1). */
export interface StepUpLogin {
  /** Space-separated acr values, in order of preference. */
  readonly acrValues?: string;
  /** Seconds: the provider re-authenticates a sign-in older than this. */
  readonly maxAge?: number;
}

/** Most acr values one login may ask for. */
const MAX_ACR_VALUES = 8;

/**
 * The step-up parameters of a login request (`acr_values`, `max_age`, as in the challenge), each kept
 * only when well formed. Dropping one never grants anything: the authorizer still checks the token's
 * acr, amr and auth_time on every request.
 */
export function stepUpLoginOf(query: Readonly<Record<string, string | undefined>>): StepUpLogin {
  const acrs = (query.acr_values ?? '').split(' ').filter((v) => v.length > 0);
  const acrOk = acrs.length > 0 && acrs.length <= MAX_ACR_VALUES && acrs.every((v) => METHOD_OR_ACR.test(v));
  const age = query.max_age;
  const maxAge = age !== undefined && /^\d{1,5}$/.test(age) ? Number(age) : undefined;
  return {
    ...(acrOk ? { acrValues: acrs.join(' ') } : {}),
    ...(maxAge !== undefined && maxAge <= MAX_STEP_UP_AGE_SECONDS ? { maxAge } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Validation (config at synth and cold start): the shape of `requirement.stepUp`, the issuers' `acrLoaMap`
// and step-up routes against them are checked in common/step-up-checks.ts.
export { stepUpIssues, validateStepUp } from './step-up-checks';
