/**
 * Reason codes of the sign-in routes (logged once per request, never with a cookie or token). Session
 * reasons the authorizer also reports live in common/reason-codes.ts.
 */
import type { ReasonCode } from '../../common/reason-codes';

export type SessionReason = Extract<
  ReasonCode,
  'session_malformed' | 'session_key_unknown' | 'session_tampered' | 'session_expired'
>;

export const SIGN_IN_REASONS = {
  login_started: 'redirected to the identity provider',
  signed_in: 'code exchanged, ID token verified, session set',
  refreshed: 'tokens refreshed, session renewed',
  signed_out: 'session cleared, redirected through end-session',
  confirm_shown: 'a GET of /auth/logout or /auth/refresh: a page whose button POSTs there, nothing changed',
  csrf_rejected: 'a POST to /auth/logout or /auth/refresh without a same-origin proof, nothing changed',
  return_to_refused: 'returnTo is not a same-site relative path; / used instead',
  state_missing: 'callback without a state cookie (expired, replayed or cross-site)',
  state_invalid: 'state cookie signature or shape is invalid',
  state_expired: 'state cookie is older than its lifetime',
  state_mismatch: 'state parameter does not match the state cookie',
  callback_malformed: 'callback without code or state',
  idp_error: 'the identity provider answered the callback with an error',
  code_exchange_failed: 'the token endpoint refused or failed the code exchange',
  id_token_invalid: 'the ID token did not verify (signature, iss, aud, exp, typ)',
  nonce_mismatch: 'the ID token nonce does not match the state cookie',
  session_absent: 'no session cookie',
  session_invalid: 'the session cookie could not be opened',
  refresh_unavailable: 'the session holds no refresh token',
  refresh_failed: 'the token endpoint refused the refresh; the session is ended',
  session_too_large: 'the token set does not fit the cookie budget even without the ID token',
  keys_unavailable: 'the cookie keys could not be read',
  config_invalid: 'the sign-in configuration is invalid',
  route_unknown: 'not a sign-in route',
  internal_error: 'unexpected error (fail closed)',
} as const;

export type SignInReason = keyof typeof SIGN_IN_REASONS;
