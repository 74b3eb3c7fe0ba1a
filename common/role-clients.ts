/**
 * An issuer's `roleClients` (common/authorizer-config.ts): the clients whose roles count as client roles
 * of its tokens, checked alike for Keycloak and Cognito issuers.
 */

/** A client id as it appears in `client:role` (no `:`, no whitespace, no glob characters). */
const ROLE_CLIENT = /^[^\s:*?/]{1,255}$/;

/** The checks of an issuer's `roleClients`; the message opens with `at`. */
export function validateRoleClients(value: unknown, at: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && ROLE_CLIENT.test(v))) {
    return [`${at}.roleClients must be a list of client ids (no ':', '/', '*', '?' or whitespace)`];
  }
  return [];
}
