/**
 * Machine-readable reasons for every authorizer decision. Used in the decision log, metrics, tests,
 * the local gateway and docs/reason-codes.md. Add a code here, never inline a string elsewhere.
 */
export const REASON_CODES = {
  // allow
  allowed: 'allow',
  // 401 — no usable token
  token_missing: 'no token in the configured sources',
  token_malformed: 'not a compact JWS, bad base64/JSON, wrong segment count, or too large',
  token_ambiguous: 'more than one token presented',
  issuer_untrusted: 'iss is not exactly one of the trusted issuers (nothing was fetched)',
  alg_not_allowed: 'header alg not in the issuer allow-list (none, HS*, PS* ...)',
  header_forbidden: 'header carries jwk, jku, x5u, x5c or an unknown crit',
  kid_unknown: 'no signing key with this kid, even after a rate-limited JWKS refetch',
  signature_invalid: 'signature does not verify',
  token_expired: 'exp is in the past (beyond the clock skew)',
  token_not_yet_valid: 'nbf or iat is in the future (beyond the clock skew)',
  claim_missing: 'a required claim (exp, sub, ...) is absent or wrongly typed',
  token_type_invalid: 'Keycloak typ is not Bearer, or Cognito token_use is not access',
  client_not_allowed: 'azp / client_id not in the allow-list',
  audience_not_allowed: 'aud not in the allow-list (an aud of only account does not count)',
  claims_malformed: 'role, scope or group claims have the wrong shape',
  jwks_unavailable: 'the JWKS could not be fetched or parsed (timeout, network, bad JSON)',
  jwks_too_large: 'the JWKS response exceeds 256 KB or lists more than 100 keys; it was not read further',
  // 401 — browser session cookie (sign-in)
  session_malformed:
    'the session cookie(s) are not a well-formed envelope (bad chunking, encoding or content)',
  session_key_unknown: 'the session was sealed with a key id the keyring no longer holds',
  session_tampered: 'the session envelope fails AES-GCM authentication (altered, truncated or forged)',
  session_expired: 'the session has passed its expiry',
  session_keys_unavailable: 'the cookie keys could not be read; sessions cannot be opened',
  // 403 — a cookie (session or token cookie) on a state-changing method without a same-origin proof
  csrf_rejected:
    'cookie session or token cookie on a state-changing method without same-origin Origin / Sec-Fetch-Site or CSRF header',
  // 403 — valid token, no permission
  route_forbidden: 'the requirement of this route is not met',
  route_unknown: 'the request is not on a route of the table',
  // deny — the event or the function itself
  event_unrecognized: 'the event is not a REST or HTTP API REQUEST authorizer event',
  config_invalid: 'the function configuration is invalid; every request is denied',
  internal_error: 'an unexpected error; denied (fail closed)',
  // 401 (never cached) — the request path itself
  path_not_canonical:
    'the path is not canonical (a percent-escape of a printable ASCII character, a trailing or doubled /, a dot segment): it could route differently than it reads',
  // 403 with an RFC 9470 challenge — valid token and entitlements, the sign-in falls short of the route's step-up
  step_up_required:
    'acr level, amr methods or auth_time age of the sign-in fall short of the route (step-up)',
  acr_unknown: "the token's acr is not in its issuer's acrLoaMap, so it meets no level",
  // 401 — revocation (back-channel logout; common/revocation.ts)
  session_revoked: "the token's session (sid) or subject (sub) was logged out at or after its iat",
  revocation_claims_missing: 'revocation is checked, but the token carries no iat, or neither sid nor sub',
  revocation_unavailable: 'the revocation list could not be read; denied (fail closed)',
  usage_key_unavailable: "the API key of the caller's usage tier could not be read; denied (fail closed)",
  // 401 — sender-constrained tokens (common/token-binding.ts): DPoP (RFC 9449), mTLS-bound (RFC 8705)
  dpop_proof_missing:
    'DPoP binding required, but the request carries no DPoP proof header (or more than one)',
  dpop_proof_malformed:
    'the DPoP proof is not a dpop+jwt JWS with a public embedded jwk and jti, htm, htu, iat, ath claims',
  dpop_proof_invalid: 'the DPoP proof signature does not verify, or its alg is not in the allow-list',
  dpop_proof_stale: 'the DPoP proof iat is older than the proof max age, or in the future (beyond the skew)',
  dpop_proof_mismatch: "the DPoP proof htm, htu or ath does not match this request's method, URL or token",
  dpop_key_mismatch: "the token's cnf.jkt is not the RFC 7638 thumbprint of the proof's key",
  dpop_binding_missing: 'DPoP binding required, but the token has no cnf.jkt',
  dpop_proof_replayed: "the DPoP proof's jti was already used",
  dpop_replay_store_unavailable: 'the DPoP replay store could not be written; denied (fail closed)',
  mtls_certificate_missing: 'mTLS binding required, but API Gateway passed no client certificate',
  mtls_certificate_malformed: 'the client certificate in the request context is not a PEM X.509 certificate',
  mtls_certificate_mismatch:
    "the token's cnf x5t#S256 is not the SHA-256 thumbprint of the client certificate",
  mtls_binding_missing: 'mTLS binding required, but the token has no cnf x5t#S256',
  binding_unsupported:
    'the token is sender-constrained (cnf jkt or x5t#S256) but the authorizer has no tokenBinding to prove it',
  usage_key_unregistered:
    "the caller's own API key (a per-caller usage tier) could not be registered in the tier's usage plan; denied (fail closed), tried again on the next request",
  // 403 — valid token; the route binds path parameters and the caller holds more value combinations than a policy lists
  grant_limit_exceeded:
    'the requirement is met, but for values beyond the 256 combinations of bound path parameters a policy lists for one route',
} as const;

export type ReasonCode = keyof typeof REASON_CODES;

/**
 * Reasons that mean "no valid identity" (401) rather than "identity without permission" (403). A CSRF
 * refusal is a 403: the session is valid, the request is not allowed.
 */
export function isUnauthenticated(reason: ReasonCode): boolean {
  return (
    reason !== 'allowed' &&
    reason !== 'route_forbidden' &&
    reason !== 'route_unknown' &&
    reason !== 'csrf_rejected' &&
    reason !== 'step_up_required' &&
    reason !== 'acr_unknown' &&
    reason !== 'grant_limit_exceeded'
  );
}

/**
 * Reasons the sign-in routes log (once per request, never with a cookie or token) beyond the codes above
 * they share with the authorizer (csrf_rejected, config_invalid, route_unknown, internal_error).
 */
export const SIGN_IN_REASON_CODES = {
  login_started: 'redirected to the identity provider',
  signed_in: 'code exchanged, ID token verified, session set',
  refreshed: 'tokens refreshed, session renewed',
  signed_out: 'session cleared, redirected through end-session',
  confirm_shown: 'a GET of /auth/logout or /auth/refresh: a page whose button POSTs there, nothing changed',
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
  keys_unavailable: 'the cookie keys could not be read (sign-in answers 503)',
} as const satisfies Record<string, string> & { readonly [K in ReasonCode]?: never };

/** Every reason code a Keygate function logs: one closed list, which docs/reason-codes.md lists exactly. */
export const KEYGATE_REASON_CODES = { ...REASON_CODES, ...SIGN_IN_REASON_CODES } as const;

export type KeygateReason = keyof typeof KEYGATE_REASON_CODES;

/** The codes the sign-in routes log. */
export type SignInReason =
  | keyof typeof SIGN_IN_REASON_CODES
  | Extract<ReasonCode, 'csrf_rejected' | 'config_invalid' | 'route_unknown' | 'internal_error'>;

/** Why a session envelope could not be opened (the sign-in routes and the authorizer both open them). */
export type SessionReason = Extract<
  ReasonCode,
  'session_malformed' | 'session_key_unknown' | 'session_tampered' | 'session_expired'
>;
