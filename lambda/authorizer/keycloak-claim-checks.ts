/**
 * Pure claim checks run on a payload whose signature aws-jwt-verify has already verified. The clock is a
 * parameter, so tests move time instead of waiting. Order: exp / nbf / iat, sub, then (Keycloak only)
 * typ, azp, aud — the first failure decides the reason code.
 */
import type { KeycloakIssuerConfig } from '../../common/authorizer-config';
import type { ReasonCode } from '../../common/reason-codes';

/** The first failing check's reason code, which says what failed (the checks below, in order). */
export type ClaimCheck = { readonly ok: true } | { readonly ok: false; readonly reason: ReasonCode };

import { isKeycloakDpopAccessToken } from '../../common/token-binding';

const OK: ClaimCheck = { ok: true };
const fail = (reason: ReasonCode): ClaimCheck => ({ ok: false, reason });

/** Keycloak's default audience when the user holds `account` client roles; not an API audience. */
export const KEYCLOAK_ACCOUNT_AUDIENCE = 'account';
/** Keycloak `typ` of an access token (ID, Refresh, Logout and Offline tokens carry other values). */
export const KEYCLOAK_ACCESS_TOKEN_TYPE = 'Bearer';

/**
 * `exp` is required; a token is expired once `now > exp + skew`. `nbf` and `iat` may be absent, but must
 * not lie further in the future than the skew. `sub` is required (it becomes the principalId).
 */
export function checkCommonClaims(
  payload: Readonly<Record<string, unknown>>,
  nowSeconds: number,
  skewSeconds: number,
): ClaimCheck {
  const { exp, nbf, iat, sub } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return fail('claim_missing');
  if (nowSeconds > exp + skewSeconds) return fail('token_expired');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf - skewSeconds > nowSeconds)) {
    return fail('token_not_yet_valid');
  }
  if (iat !== undefined && (typeof iat !== 'number' || iat - skewSeconds > nowSeconds)) {
    return fail('token_not_yet_valid');
  }
  if (typeof sub !== 'string' || sub.length === 0) return fail('claim_missing');
  return OK;
}

/**
 * Keycloak access-token checks:
 * - `typ` must be exactly `Bearer`: ID, Refresh, Logout and Offline tokens are signed by the same realm
 *   and would otherwise pass.
 * - `azp` must be listed when `allowedClients` is set.
 * - `aud` must overlap `allowedAudiences` when set. Keycloak adds `account` to the audience of any user
 *   holding `account` client roles (the default), so `account` counts only with `allowAccountAudience`.
 */
export function checkKeycloakClaims(
  payload: Readonly<Record<string, unknown>>,
  issuer: KeycloakIssuerConfig,
): ClaimCheck {
  // Keycloak types a DPoP-bound access token `DPoP`; its binding is checked after verification.
  if (payload.typ !== KEYCLOAK_ACCESS_TOKEN_TYPE && !isKeycloakDpopAccessToken(payload))
    return fail('token_type_invalid');
  const clients = issuer.allowedClients;
  if (clients && clients.length > 0) {
    if (typeof payload.azp !== 'string' || !clients.includes(payload.azp)) {
      return fail('client_not_allowed');
    }
  }
  const audiences = issuer.allowedAudiences;
  if (audiences && audiences.length > 0) {
    const aud =
      typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
    const allowAccount = issuer.allowAccountAudience === true;
    const match = aud.some(
      (a) =>
        typeof a === 'string' && (a === KEYCLOAK_ACCOUNT_AUDIENCE ? allowAccount : audiences.includes(a)),
    );
    if (!match) return fail('audience_not_allowed');
  }
  return OK;
}
