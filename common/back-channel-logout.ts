/**
 * The back-channel logout endpoint's contract (OpenID Connect Back-Channel Logout 1.0), shared by the
 * construct (lib/revocation), the function (lambda/back-channel-logout), the local gateway, the stage
 * configuration and the realm definition. Kept apart from common/revocation.ts, which the authorizer
 * bundles: none of this is loaded at the authorizer's cold start.
 */
import type { StageConfig } from './app-config';
import {
  isHttpsUrl,
  isHttpUrl,
  isIntIn,
  isLoopbackUrl,
  isNonEmptyString,
  isStringList,
} from './field-checks';
import { REVOCATION_DEFAULTS } from './revocation';
import type { FieldIssue } from './field-issue';
import { fieldIssue } from './field-issue';

/** The `events` member a logout token must carry (Back-Channel Logout 1.0, section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** The `typ` header Keycloak (since 25) and the spec's section 2.4 recommendation give logout tokens. */
export const LOGOUT_TOKEN_TYPE = 'logout+jwt';

/** Path of the back-channel logout endpoint on the API (no authorizer); registered on the realm's clients. */
export const BACKCHANNEL_LOGOUT_PATH = '/auth/backchannel-logout';

/** The back-channel logout function's JSON configuration (lib/revocation writes it, the function reads it). */
export const BACKCHANNEL_LOGOUT_CONFIG_ENV = 'KEYGATE_BACKCHANNEL_LOGOUT_CONFIG';

/** Largest request body the endpoint reads: a logout token is well under 4 KB. */
export const MAX_LOGOUT_REQUEST_BYTES = 16 * 1024;

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** One issuer whose logout tokens the endpoint accepts. */
export interface LogoutIssuerConfig {
  /** Exact `iss` of the realm. */
  readonly issuer: string;
  /** @default `${issuer}/protocol/openid-connect/certs` */
  readonly jwksUri?: string;
  /** Clients whose sessions may be logged out: a logout token's `aud` must name one of them. */
  readonly audiences: readonly string[];
  /** As on the authorizer's keycloak issuer (docs/keycloak-testing.md). @default false */
  readonly insecureHttpIssuerForDevelopmentOnly?: boolean;
}

/** The back-channel logout function's configuration. */
export interface BackChannelLogoutConfig {
  readonly issuers: readonly LogoutIssuerConfig[];
  /** DynamoDB table of the list. @default - none: the caller supplies the store (local gateway) */
  readonly tableName?: string;
  /** How long entries are kept: the realm's longest token lifetime. @default 36000 */
  readonly retentionSeconds?: number;
  /** Leeway for the logout token's iat / exp. @default 30 */
  readonly clockSkewSeconds?: number;
}

export type BackChannelLogoutConfigResult =
  | { readonly ok: true; readonly config: BackChannelLogoutConfig }
  | { readonly ok: false; readonly errors: string[] };

/** Validates untrusted input into a BackChannelLogoutConfig; every message names the field. */
export function validateBackChannelLogoutConfig(input: unknown): BackChannelLogoutConfigResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, errors: ['config must be a JSON object'] };
  const c = input as Record<string, unknown>;
  const errors: string[] = [];
  if (!Array.isArray(c.issuers) || c.issuers.length === 0) {
    errors.push('issuers must be a non-empty array');
  } else {
    c.issuers.forEach((i: unknown, n) => errors.push(...logoutIssuerErrors(i, `issuers[${n}]`)));
  }
  if (c.tableName !== undefined && (typeof c.tableName !== 'string' || !TABLE_NAME.test(c.tableName))) {
    errors.push('tableName must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)');
  }
  if (
    c.retentionSeconds !== undefined &&
    !isIntIn(c.retentionSeconds, 60, REVOCATION_DEFAULTS.maxRetentionSeconds)
  ) {
    errors.push(`retentionSeconds must be an integer from 60 to ${REVOCATION_DEFAULTS.maxRetentionSeconds}`);
  }
  if (c.clockSkewSeconds !== undefined && !isIntIn(c.clockSkewSeconds, 0, 60)) {
    errors.push('clockSkewSeconds must be an integer from 0 to 60');
  }
  for (const k of Object.keys(c))
    if (!['issuers', 'tableName', 'retentionSeconds', 'clockSkewSeconds'].includes(k))
      errors.push(`${k} is not a config field`);
  return errors.length
    ? { ok: false, errors }
    : { ok: true, config: c as unknown as BackChannelLogoutConfig };
}

function logoutIssuerErrors(input: unknown, at: string): string[] {
  if (typeof input !== 'object' || input === null) return [`${at} must be an object`];
  const i = input as Record<string, unknown>;
  const errors: string[] = [];
  const insecure = i.insecureHttpIssuerForDevelopmentOnly;
  if (insecure !== undefined && typeof insecure !== 'boolean')
    errors.push(`${at}.insecureHttpIssuerForDevelopmentOnly must be a boolean`);
  if (!isHttpsUrl(i.issuer) && !(insecure === true && isHttpUrl(i.issuer)))
    errors.push(`${at}.issuer must be an https URL without a trailing slash`);
  // Keys over https only, except a loopback http JWKS of a development Keycloak (the local stack).
  if (
    i.jwksUri !== undefined &&
    !isHttpsUrl(i.jwksUri) &&
    !(insecure === true && isHttpUrl(i.jwksUri) && isLoopbackUrl(i.jwksUri))
  )
    errors.push(`${at}.jwksUri must be an https URL`);
  if (i.jwksUri === undefined && insecure === true && !isHttpsUrl(i.issuer) && !isLoopbackUrl(i.issuer))
    errors.push(`${at}.jwksUri must be set to an https URL for an http issuer`);
  if (
    !isStringList(i.audiences) ||
    i.audiences.length === 0 ||
    !i.audiences.every((a) => isNonEmptyString(a, 255))
  )
    errors.push(`${at}.audiences must list the client ids whose sessions may be logged out`);
  for (const k of Object.keys(i))
    if (!['issuer', 'jwksUri', 'audiences', 'insecureHttpIssuerForDevelopmentOnly'].includes(k))
      errors.push(`${at}.${k} is not a field`);
  return errors;
}

/**
 * Why the back-channel logout endpoint refused a request: the `error_description` of its 400 answer
 * (Back-Channel Logout 1.0, section 2.8) and its log line. Each is a refusal, never a crash.
 */
export const LOGOUT_REJECTIONS = {
  method_not_allowed: 'the logout request is not a POST',
  content_type_invalid: 'the body is not application/x-www-form-urlencoded',
  body_too_large: `the body exceeds ${MAX_LOGOUT_REQUEST_BYTES} bytes`,
  logout_token_missing: 'the form has no logout_token parameter, or more than one',
  logout_token_malformed: 'the logout token is not a compact JWS with a JSON payload',
  issuer_untrusted: 'iss is not a trusted issuer',
  audience_not_allowed: 'aud names none of the clients whose sessions may be logged out',
  signature_invalid: 'the signature does not verify, or its algorithm or key is not allowed',
  kid_unknown: 'no signing key with this kid',
  jwks_unavailable: "the issuer's keys could not be fetched",
  token_expired: 'exp is in the past (beyond the clock skew), or missing',
  iat_invalid: 'iat is missing or in the future (beyond the clock skew)',
  typ_invalid: `the header typ is neither absent nor ${LOGOUT_TOKEN_TYPE}`,
  events_invalid: `events has no ${BACKCHANNEL_LOGOUT_EVENT} member that is a JSON object`,
  nonce_present: 'a logout token must not carry a nonce (an ID token is not a logout token)',
  subject_missing: 'neither sid nor sub is a non-empty string',
  jti_missing: 'jti is missing',
  jti_replayed: 'this jti was accepted before',
  revocation_store_unavailable: 'the revocation list could not be written',
} as const;

export type LogoutRejection = keyof typeof LOGOUT_REJECTIONS;

/** A stage's `revocation` block (common/app-config.ts): back-channel logout for the stage's realm. */
export interface StageRevocationConfig {
  /** "A logged-out session stops working within N seconds" (1 to 300). @default 30 */
  readonly boundSeconds?: number;
  /** How long a revocation is kept: the realm's longest token lifetime. @default 36000 */
  readonly retentionSeconds?: number;
  /**
   * Base URL the realm reaches the API at (the `HttpApiUrl` or `RestApiUrl` output without the trailing
   * slash, or a custom domain), for the realm definition only: `<url>/auth/backchannel-logout` becomes
   * the back-channel logout URL of the clients people sign in with.
   * @default - none: register it in Keycloak yourself after the first deployment
   */
  readonly publicUrl?: string;
}

/** The checks of a stage's `revocation` block, given the stage's authorizer cache TTL; each names its field. */
export function validateStageRevocation(input: unknown, at: string, cacheTtlSeconds: unknown): FieldIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [fieldIssue(at, 'must be an object')];
  const r = input as Record<string, unknown>;
  const errors: FieldIssue[] = [];
  const bound = r.boundSeconds ?? REVOCATION_DEFAULTS.boundSeconds;
  if (!isIntIn(bound, 1, REVOCATION_DEFAULTS.maxBoundSeconds))
    errors.push(
      fieldIssue(`${at}.boundSeconds`, `must be an integer from 1 to ${REVOCATION_DEFAULTS.maxBoundSeconds}`),
    );
  else if (typeof cacheTtlSeconds === 'number' && cacheTtlSeconds > (bound as number))
    errors.push(
      fieldIssue(
        `${at}.boundSeconds`,
        `(${String(bound)}) is below authorizer.cacheTtlSeconds (${cacheTtlSeconds}): lower the cache TTL or leave it out (it then defaults to the bound)`,
      ),
    );
  if (
    r.retentionSeconds !== undefined &&
    !isIntIn(r.retentionSeconds, 60, REVOCATION_DEFAULTS.maxRetentionSeconds)
  )
    errors.push(
      fieldIssue(
        `${at}.retentionSeconds`,
        `must be an integer from 60 to ${REVOCATION_DEFAULTS.maxRetentionSeconds}`,
      ),
    );
  if (
    r.publicUrl !== undefined &&
    !isHttpsUrl(r.publicUrl) &&
    !(isHttpUrl(r.publicUrl) && isLoopbackUrl(r.publicUrl))
  )
    errors.push(fieldIssue(`${at}.publicUrl`, 'must be an https URL without a trailing slash'));
  for (const k of Object.keys(r))
    if (!['boundSeconds', 'retentionSeconds', 'publicUrl'].includes(k))
      errors.push(fieldIssue(`${at}.${k}`, 'is not a field'));
  return errors;
}

/** The back-channel logout URL the realm registers on its clients, for an API base URL. */
export function backchannelLogoutUrl(publicUrl: string): string {
  return `${publicUrl}${BACKCHANNEL_LOGOUT_PATH}`;
}

/**
 * The clients whose sessions back-channel logout ends: those people sign in with (the people client, and
 * the browser sign-in client when it is another). Service accounts hold no user session.
 */
export function revocationClientIds(stage: Pick<StageConfig, 'keycloak' | 'browserSignIn'>): string[] {
  const ids = [stage.keycloak.peopleClientId, stage.browserSignIn?.clientId ?? stage.keycloak.peopleClientId];
  return [...new Set(ids)];
}
