/**
 * Verifies a logout token (OpenID Connect Back-Channel Logout 1.0, section 2.6): signature, `iss`, `aud`
 * and `exp` through aws-jwt-verify's public JwtVerifier against the trusted issuers' keys, then the
 * logout-specific claim checks as pure functions (checkLogoutClaims). The one importer of the JWT library
 * in this function.
 */
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import {
  FetchError,
  JwksNotAvailableInCacheError,
  JwksValidationError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtParseError,
  KidNotFoundInJwksError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import type { BackChannelLogoutConfig, LogoutRejection } from '../../common/back-channel-logout';
import { BACKCHANNEL_LOGOUT_EVENT, LOGOUT_TOKEN_TYPE } from '../../common/back-channel-logout';

/** What a valid logout token says. */
export interface LogoutClaims {
  readonly iss: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly sid?: string;
  readonly sub?: string;
}

export type LogoutTokenResult =
  | { readonly ok: true; readonly claims: LogoutClaims }
  | { readonly ok: false; readonly reason: LogoutRejection };

export interface LogoutTokenVerifier {
  verify(token: string): Promise<LogoutTokenResult>;
}

export interface LogoutVerifierDeps {
  /** JWKS fetcher. @default aws-jwt-verify's SimpleFetcher (https only) */
  readonly fetcher?: Fetcher;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

export function createLogoutTokenVerifier(
  config: BackChannelLogoutConfig,
  deps: LogoutVerifierDeps = {},
): LogoutTokenVerifier {
  const now = deps.now ?? Date.now;
  const skew = config.clockSkewSeconds ?? 30;
  const verifier = JwtVerifier.create(
    config.issuers.map((i) => ({
      issuer: i.issuer,
      audience: [...i.audiences],
      jwksUri: i.jwksUri ?? `${i.issuer}/protocol/openid-connect/certs`,
      graceSeconds: skew,
    })),
    { jwksCache: new SimpleJwksCache({ fetcher: deps.fetcher ?? new SimpleFetcher() }) },
  );
  return {
    async verify(token) {
      // The header as the library decoded it, handed over by the custom check it runs after the signature.
      let header: Record<string, unknown> = {};
      let payload: Record<string, unknown>;
      try {
        payload = (await verifier.verify(token, {
          customJwtCheck: ({ header: h }: { header: object }) => {
            header = h as Record<string, unknown>;
          },
        })) as Record<string, unknown>;
      } catch (e) {
        return { ok: false, reason: rejectionOf(e) };
      }
      return checkLogoutClaims(header, payload, Math.floor(now() / 1000), skew);
    },
  };
}

/** The library's errors as refusals (instanceof, never the message). */
export function rejectionOf(e: unknown): LogoutRejection {
  if (e instanceof JwtInvalidIssuerError || e instanceof ParameterValidationError) return 'issuer_untrusted';
  if (e instanceof JwtInvalidAudienceError) return 'audience_not_allowed';
  if (e instanceof JwtExpiredError) return 'token_expired';
  if (e instanceof JwtParseError) return 'logout_token_malformed';
  if (e instanceof KidNotFoundInJwksError || e instanceof WaitPeriodNotYetEndedJwkError) return 'kid_unknown';
  if (
    e instanceof FetchError ||
    e instanceof JwksValidationError ||
    e instanceof JwksNotAvailableInCacheError
  )
    return 'jwks_unavailable';
  return 'signature_invalid';
}

/**
 * The logout-specific checks of a verified token (section 2.6, steps 3-7 beyond the ID token's): explicit
 * type when present, `iat`, `exp`, the back-channel logout event, no `nonce`, `sid` or `sub`, `jti`.
 */
export function checkLogoutClaims(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  nowSeconds: number,
  skewSeconds: number,
): LogoutTokenResult {
  if (header.typ !== undefined && header.typ !== LOGOUT_TOKEN_TYPE)
    return { ok: false, reason: 'typ_invalid' };
  const { iat, exp, events, sid, sub, jti, iss } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp) || exp + skewSeconds < nowSeconds)
    return { ok: false, reason: 'token_expired' };
  if (typeof iat !== 'number' || !Number.isFinite(iat) || iat > nowSeconds + skewSeconds)
    return { ok: false, reason: 'iat_invalid' };
  const event =
    typeof events === 'object' && events !== null && !Array.isArray(events)
      ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
      : undefined;
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return { ok: false, reason: 'events_invalid' };
  if ('nonce' in payload) return { ok: false, reason: 'nonce_present' };
  const sidOk = typeof sid === 'string' && sid.length > 0;
  const subOk = typeof sub === 'string' && sub.length > 0;
  if (!sidOk && !subOk) return { ok: false, reason: 'subject_missing' };
  if (typeof jti !== 'string' || jti.length === 0) return { ok: false, reason: 'jti_missing' };
  return {
    ok: true,
    claims: {
      iss: iss as string,
      jti,
      iat,
      exp,
      ...(sidOk ? { sid: sid as string } : {}),
      ...(subOk ? { sub: sub as string } : {}),
    },
  };
}
