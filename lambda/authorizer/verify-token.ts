/**
 * Token verification: from a compact JWS string to a VerifiedPrincipal or a reason code. With
 * jwks-cache.ts and cognito.ts (the Cognito verifier, in a module of its own), the only modules of the
 * project that import aws-jwt-verify, and only through its public API: `JwtVerifier.create` /
 * `CognitoJwtVerifier.create` with a `JwksCache` of our own, `verifySync` while
 * the signing key is cached and `verify` when it must be fetched.
 *
 * Steps (the first failing step decides the reason):
 *  1. verified-claims cache — the exact same token (by SHA-256) seen before and not yet expired;
 *  2. inspectToken — size, segments, base64url/JSON, header alg allow-list, forbidden header parameters,
 *     kid shape (no network, no crypto);
 *  3. selectIssuer — exact `iss` match; an untrusted issuer is refused before anything is fetched;
 *  4. the issuer's own alg allow-list;
 *  5. aws-jwt-verify — JWK by kid from the issuer's JWKS (jwks-cache.ts), key/alg fit, signature, iss; for
 *     Cognito also token_use = access and client_id;
 *  6. claim checks — exp / nbf / iat with clock skew, sub; Keycloak typ, azp, aud;
 *  7. claimsToPrincipal — roles, scopes, groups, token kind.
 */
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwkInvalidKtyError,
  JwkInvalidUseError,
  JwksNotAvailableInCacheError,
  JwksValidationError,
  JwkValidationError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidClaimError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  NotSupportedError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import { assertIsJwks } from 'aws-jwt-verify/jwk';
import type { Jwks } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import type { Json } from 'aws-jwt-verify/safe-json-parse';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { DEFAULTS, keycloakJwksUri } from '../../common/authorizer-config';
import type { ReasonCode } from '../../common/reason-codes';
import { claimsToPrincipal } from './claims-to-principal';
// Deferred in the bundle (cognito.js): loaded only when a Cognito user pool is trusted.
import { cognitoIssuerVerifier } from './cognito';
import { inspectAcceptedShape, inspectToken, MAX_TOKEN_LENGTH, tokenFacts } from './inspect-token';
import type { Fetcher } from './jwks-cache';
import {
  DeadlineFetcher,
  describeJwksFailure,
  JwksTooLargeError,
  JwksTooManyKeysError,
  RateLimitedJwksCache,
} from './jwks-cache';
import { checkCommonClaims, checkKeycloakClaims } from './keycloak-claim-checks';
import type { ErrorRule } from './redact';
import { classifyError } from './redact';
import type { TrustedIssuer } from './select-issuer';
import { indexIssuers, selectIssuer } from './select-issuer';
import type { TokenFacts, TokenVerifier, VerifierEvents, VerifyResult } from './types';
import { VerifiedClaimsCache } from './verified-claims-cache';

export type { Fetcher } from './jwks-cache';
export { DeadlineFetcher, MAX_JWKS_BYTES, MAX_JWKS_KEYS, RateLimitedJwksCache } from './jwks-cache';

/** Dependencies with production defaults; tests pass their own instead of mocking modules. */
export interface TokenVerifierDeps {
  /**
   * Clock, epoch milliseconds: exp / nbf / iat checks, verified-claims cache expiry and the JWKS refetch
   * interval. (aws-jwt-verify also checks exp / nbf against the real clock, with the same skew.)
   * @default Date.now
   */
  readonly now?: () => number;
  /** @default - no events */
  readonly events?: VerifierEvents;
  /** Extra Node `https.request` options for JWKS fetches, e.g. `{ ca }` to trust a test server. @default {} */
  readonly requestOptions?: Readonly<Record<string, unknown>>;
  /** Replaces the JWKS fetcher. @default - HTTPS GET bounded by the config's jwksTimeoutMs */
  readonly fetcher?: Fetcher;
  /**
   * JWKS documents known up front, by issuer URL (aws-jwt-verify's `cacheJwks`): they are used without a
   * fetch; an unknown kid still triggers a (rate-limited) fetch. @default - fetch on first need
   */
  readonly jwks?: Readonly<Record<string, unknown>>;
  /** Called whenever a token goes to signature verification (not on verified-claims cache hits). */
  readonly onSignatureVerification?: () => void;
}

/**
 * aws-jwt-verify error classes → reason codes. Subclasses before their base classes. The reason code is the
 * whole answer: the library's messages quote claim values and are never passed on (redact.ts).
 */
const ERROR_RULES: readonly ErrorRule[] = [
  { type: JwtExpiredError, reason: 'token_expired' },
  { type: JwtNotBeforeError, reason: 'token_not_yet_valid' },
  { type: CognitoJwtInvalidTokenUseError, reason: 'token_type_invalid' },
  { type: CognitoJwtInvalidClientIdError, reason: 'client_not_allowed' },
  { type: JwtInvalidIssuerError, reason: 'issuer_untrusted' },
  { type: JwtInvalidAudienceError, reason: 'audience_not_allowed' },
  { type: JwtInvalidClaimError, reason: 'claim_missing' },
  { type: JwtInvalidSignatureAlgorithmError, reason: 'alg_not_allowed' },
  { type: JwtInvalidSignatureError, reason: 'signature_invalid' },
  { type: KidNotFoundInJwksError, reason: 'kid_unknown' },
  { type: JwtWithoutValidKidError, reason: 'kid_unknown' },
  { type: JwkInvalidUseError, reason: 'kid_unknown' },
  { type: JwkInvalidKtyError, reason: 'kid_unknown' },
  { type: JwkValidationError, reason: 'kid_unknown' },
  { type: WaitPeriodNotYetEndedJwkError, reason: 'jwks_unavailable' },
  { type: JwksNotAvailableInCacheError, reason: 'jwks_unavailable' },
  { type: JwksTooLargeError, reason: 'jwks_too_large' },
  { type: JwksTooManyKeysError, reason: 'jwks_too_large' },
  { type: JwksValidationError, reason: 'jwks_unavailable' },
  { type: FetchError, reason: 'jwks_unavailable' },
  { type: JwtParseError, reason: 'token_malformed' },
  { type: NotSupportedError, reason: 'alg_not_allowed' },
];

/** What verifyToken needs, built once per container by createTokenVerifier. */
export interface VerifierState {
  readonly issuers: ReadonlyMap<string, TrustedIssuer>;
  /** One aws-jwt-verify verifier per trusted issuer. */
  readonly verifiers: ReadonlyMap<TrustedIssuer, IssuerVerifier>;
  readonly cache: VerifiedClaimsCache;
  readonly skewSeconds: number;
  readonly now: () => number;
  readonly onSignatureVerification?: () => void;
  /** The trusted issuer when there is only one: its tokens are parsed by aws-jwt-verify alone. */
  readonly sole?: TrustedIssuer;
}

/** The public surface of aws-jwt-verify's verifiers that Keygate uses. */
export interface IssuerVerifier {
  verify(token: string): Promise<JwtPayload>;
  verifySync(token: string): JwtPayload;
  cacheJwks(jwks: Jwks): void;
}

export function createTokenVerifier(config: AuthorizerConfig, deps: TokenVerifierDeps = {}): TokenVerifier {
  const now = deps.now ?? Date.now;
  const skewSeconds = config.clockSkewSeconds ?? DEFAULTS.clockSkewSeconds;
  const issuers = indexIssuers(config.issuers);
  const issuerByJwksUri = new Map<string, string>();
  const jwksCache = new RateLimitedJwksCache({
    fetcher:
      deps.fetcher ??
      new DeadlineFetcher(config.jwksTimeoutMs ?? DEFAULTS.jwksTimeoutMs, deps.requestOptions ?? {}),
    now,
    refetchIntervalMs: DEFAULTS.jwksRefetchIntervalMs,
    onFetchFailed: (uri, err) =>
      deps.events?.jwksFetchFailed?.(issuerByJwksUri.get(uri) ?? 'unknown', describeJwksFailure(err)),
  });
  const verifiers = new Map<TrustedIssuer, IssuerVerifier>();
  for (const trusted of new Set(issuers.values())) {
    const verifier = issuerVerifier(trusted, jwksCache, skewSeconds, issuerByJwksUri);
    const preloaded = deps.jwks?.[trusted.url];
    if (preloaded !== undefined) {
      assertIsJwks(preloaded as Json);
      verifier.cacheJwks(preloaded as Jwks);
    }
    verifiers.set(trusted, verifier);
  }
  const state: VerifierState = {
    issuers,
    verifiers,
    cache: new VerifiedClaimsCache(config.verifiedCacheSize ?? DEFAULTS.verifiedCacheSize),
    skewSeconds,
    now,
    onSignatureVerification: deps.onSignatureVerification,
    sole: verifiers.size === 1 ? [...verifiers.keys()][0] : undefined,
  };
  return {
    verify: (token) => verifyToken(token, state),
    verifySync: (token) => verifyTokenSync(token, state),
  };
}

/** aws-jwt-verify's verifier for one trusted issuer, reading keys from the shared JWKS cache. */
function issuerVerifier(
  trusted: TrustedIssuer,
  jwksCache: RateLimitedJwksCache,
  graceSeconds: number,
  issuerByJwksUri: Map<string, string>,
): IssuerVerifier {
  const c = trusted.config;
  if (c.kind === 'keycloak') {
    const jwksUri = keycloakJwksUri(c);
    issuerByJwksUri.set(jwksUri, trusted.url);
    // audience: null — aud and azp are checked by checkKeycloakClaims (the `account` rule needs it).
    return JwtVerifier.create({ issuer: c.issuer, jwksUri, audience: null, graceSeconds }, { jwksCache });
  }
  for (const host of ['cognito-idp', 'issuer-cognito-idp']) {
    issuerByJwksUri.set(
      `https://${host}.${c.region}.amazonaws.com/${c.userPoolId}/.well-known/jwks.json`,
      trusted.url,
    );
  }
  return cognitoIssuerVerifier(c, jwksCache, graceSeconds);
}

/** The verification steps, in order. Never throws: an unexpected error is `internal_error`. */
export async function verifyToken(token: string, v: VerifierState): Promise<VerifyResult> {
  const now = verifyOrNeedKey(token, v);
  if (!(now instanceof KeyNeeded)) return now;
  try {
    v.onSignatureVerification?.();
    let payload: JwtPayload;
    try {
      payload = await (v.verifiers.get(now.trusted) as IssuerVerifier).verify(token);
    } catch (e) {
      return verificationFailed(e, now.facts);
    }
    return remember(checkClaims(payload, now.trusted, now.facts, now.nowSeconds, v.skewSeconds), now.key, v);
  } catch (err) {
    return reject('internal_error', {}, classifyError(err, []).detail);
  }
}

/**
 * The same steps without waiting: the result, or undefined when the issuer's signing key is not cached
 * yet and must be fetched (then verifyToken). The warm path, a verified-claims cache hit included, takes no
 * promise hop. Never throws.
 */
export function verifyTokenSync(token: string, v: VerifierState): VerifyResult | undefined {
  const now = verifyOrNeedKey(token, v);
  return now instanceof KeyNeeded ? undefined : now;
}

/** What verifyToken goes on with when the signing key must be fetched first. */
class KeyNeeded {
  constructor(
    readonly trusted: TrustedIssuer,
    readonly facts: TokenFacts,
    readonly key: string | undefined,
    readonly nowSeconds: number,
  ) {}
}

/**
 * Steps 1 to 7 with aws-jwt-verify's synchronous verification, while the signing key is cached (the warm
 * path). When the library reports that the key is not cached yet (keyNotCached): KeyNeeded, and verifyToken
 * calls the asynchronous one, which may fetch the JWKS, rate-limited
 * (https://github.com/awslabs/aws-jwt-verify#verifysync).
 *
 * With one trusted issuer, the library is asked first (askSoleIssuer): it parses the token and checks its
 * claim types and `iss` itself, so a token it accepts is not parsed a second time here, only its header
 * checked. Anything short of acceptance goes through every step below, in order, which names the reason
 * exactly as for several issuers; the library's answer is reused there, not asked for again.
 */
function verifyOrNeedKey(token: string, v: VerifierState): VerifyResult | KeyNeeded {
  try {
    const nowSeconds = v.now() / 1000;
    // Only tokens of a plausible size are hashed; a hit needs the exact same bytes, signature included.
    const key =
      v.cache.capacity > 0 && typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH
        ? VerifiedClaimsCache.key(token)
        : undefined;
    const hit = key === undefined ? undefined : v.cache.get(key, nowSeconds);
    if (hit) return hit;

    const sole = v.sole && askSoleIssuer(token, v.sole, v);
    if (sole?.accepted)
      return remember(
        checkClaims(sole.payload, v.sole as TrustedIssuer, sole.facts, nowSeconds, v.skewSeconds),
        key,
        v,
      );

    const inspected = inspectToken(token);
    if (!inspected.ok) return inspected;
    const facts = inspected.facts;
    const trusted = selectIssuer(v.issuers, inspected.payload.iss);
    if (!trusted) return reject('issuer_untrusted', facts, 'iss is not a trusted issuer');
    if (!trusted.algorithms.has(inspected.alg))
      return reject('alg_not_allowed', facts, 'alg not allowed for this issuer');

    const answer = sole?.answer ?? askLibrary(token, trusted, v);
    if ('error' in answer) {
      if (keyNotCached(answer.error)) return new KeyNeeded(trusted, facts, key, nowSeconds);
      return verificationFailed(answer.error, facts);
    }
    return remember(checkClaims(answer.payload, trusted, facts, nowSeconds, v.skewSeconds), key, v);
  } catch (err) {
    return reject('internal_error', {}, classifyError(err, []).detail);
  }
}

/** aws-jwt-verify's synchronous answer: the verified payload, or what it threw. */
type LibraryAnswer = { readonly payload: JwtPayload } | { readonly error: unknown };

/** Asks aws-jwt-verify to verify the token with a cached key (counted unless the key is not cached). */
function askLibrary(token: string, trusted: TrustedIssuer, v: VerifierState): LibraryAnswer {
  let answer: LibraryAnswer;
  try {
    answer = { payload: (v.verifiers.get(trusted) as IssuerVerifier).verifySync(token) };
  } catch (error) {
    answer = { error };
  }
  if (!('error' in answer) || !keyNotCached(answer.error)) v.onSignatureVerification?.();
  return answer;
}

/**
 * The one trusted issuer's verifier, asked first: accepted when the library verifies the token, its `iss`
 * is the issuer's (as the library checks too), and its header, encoding and alg pass the checks of
 * inspectToken that read no claim (inspectAcceptedShape), with the facts for the log from the header and
 * the verified payload; else the library's answer, which the steps of verifyOrNeedKey then reuse to name
 * the reason. Undefined when it was not asked (not a string of a plausible size).
 */
function askSoleIssuer(
  token: string,
  trusted: TrustedIssuer,
  v: VerifierState,
):
  | { readonly accepted: true; readonly payload: JwtPayload; readonly facts: TokenFacts }
  | { readonly accepted: false; readonly answer: LibraryAnswer }
  | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
  const answer = askLibrary(token, trusted, v);
  if ('error' in answer || selectIssuer(v.issuers, answer.payload.iss) !== trusted)
    return { accepted: false, answer };
  const shape = inspectAcceptedShape(token);
  if (shape === undefined || !trusted.algorithms.has(shape.alg)) return { accepted: false, answer };
  return { accepted: true, payload: answer.payload, facts: tokenFacts(shape.header, answer.payload) };
}

/** A successful verification goes into the verified-claims cache (by the token's hash). */
function remember(result: VerifyResult, key: string | undefined, v: VerifierState): VerifyResult {
  if (result.ok && key !== undefined) v.cache.set(key, { principal: result.principal, facts: result.facts });
  return result;
}

function keyNotCached(err: unknown): boolean {
  return err instanceof JwksNotAvailableInCacheError || err instanceof KidNotFoundInJwksError;
}

/** Claim checks and the principal, on a payload whose signature the library has verified. */
export function checkClaims(
  payload: JwtPayload,
  trusted: TrustedIssuer,
  facts: TokenFacts,
  nowSeconds: number,
  skewSeconds: number,
): VerifyResult {
  const common = checkCommonClaims(payload, nowSeconds, skewSeconds);
  if (!common.ok) return reject(common.reason, facts);
  if (trusted.config.kind === 'keycloak') {
    const kc = checkKeycloakClaims(payload, trusted.config);
    if (!kc.ok) return reject(kc.reason, facts);
  }
  const p = claimsToPrincipal(payload, trusted.config, trusted.url, trusted.roleClients);
  if (!p.ok) return reject(p.reason, facts, p.detail);
  return { ok: true, principal: p.principal, facts, cached: false };
}

function verificationFailed(err: unknown, facts: TokenFacts): VerifyResult {
  const c = classifyError(err, ERROR_RULES);
  return reject(c.reason, facts, c.detail);
}

function reject(reason: ReasonCode, facts: TokenFacts, detail?: string): VerifyResult {
  return { ok: false, reason, facts, detail };
}
