/**
 * Token verification: from a compact JWS string to a VerifiedPrincipal or a reason code. The only module
 * of the project that imports aws-jwt-verify.
 *
 * Pipeline (the first failing step decides the reason):
 *  1. verified-claims cache — the exact same token seen before and not yet expired: answered from memory;
 *  2. inspectToken — size, segments, base64url/JSON, header alg allow-list, forbidden header parameters,
 *     kid shape (no network, no crypto);
 *  3. selectIssuer — exact `iss` match; an untrusted issuer is refused before anything is fetched;
 *  4. the issuer's own alg allow-list;
 *  5. aws-jwt-verify — JWK by kid from the issuer's JWKS (fetched on first need, cached for the life of the
 *     container), key/alg fit, signature, iss; for Cognito also token_use = access and client_id;
 *  6. claim checks — exp / nbf / iat with clock skew, sub; Keycloak typ, azp, aud;
 *  7. claimsToPrincipal — roles, scopes, groups, token kind.
 */
import { CognitoJwtVerifier } from 'aws-jwt-verify/cognito-verifier';
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
  NonRetryableFetchError,
  NotSupportedError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { assertIsJwks, findJwkInJwks, SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { Jwk, Jwks, JwksCache, JwkWithKid } from 'aws-jwt-verify/jwk';
import type { JwtHeader, JwtPayload } from 'aws-jwt-verify/jwt-model';
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import type { JwtVerifierProperties, VerifyProperties } from 'aws-jwt-verify/jwt-verifier';
import type { DecomposedJwt } from 'aws-jwt-verify/jwt';
import { safeJsonParse } from 'aws-jwt-verify/safe-json-parse';
import type { Json } from 'aws-jwt-verify/safe-json-parse';
import { request as httpsRequest } from 'node:https';
import type { AuthorizerConfig, SignatureAlgorithm } from '../../common/authorizer-config';
import { DEFAULTS, keycloakJwksUri, SIGNATURE_ALGORITHMS } from '../../common/authorizer-config';
import type { ReasonCode } from '../../common/reason-codes';
import { claimsToPrincipal } from './claims-to-principal';
import { inspectToken, MAX_TOKEN_LENGTH } from './inspect-token';
import { checkCommonClaims, checkKeycloakClaims } from './keycloak-claim-checks';
import type { ErrorRule } from './redact';
import { classifyError, describeFetchFailure } from './redact';
import type { TrustedIssuer } from './select-issuer';
import { indexIssuers, selectIssuer } from './select-issuer';
import type { TokenFacts, TokenVerifier, VerifierEvents, VerifyResult } from './types';
import { VerifiedClaimsCache } from './verified-claims-cache';

export type { Fetcher } from 'aws-jwt-verify/https';

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

/** A retry is only worth it if this much of the time budget is left. */
const MIN_RETRY_MS = 250;

/**
 * Bounds on a JWKS response. A Keycloak realm publishes a handful of keys (a few KB); the bounds leave
 * room for rotation and several algorithms while keeping a hostile or broken endpoint from filling the
 * function's memory (the library's own fetch reads a body of any size).
 */
export const MAX_JWKS_BYTES = 256 * 1024;
export const MAX_JWKS_KEYS = 100;

/** The JWKS response is larger than MAX_JWKS_BYTES: reading stopped there. Not worth a retry. */
export class JwksTooLargeError extends NonRetryableFetchError {}
/** The JWKS lists more than MAX_JWKS_KEYS keys. */
export class JwksTooManyKeysError extends JwksValidationError {}

/** aws-jwt-verify error classes → reason codes. Subclasses before their base classes. */
const ERROR_RULES: readonly ErrorRule[] = [
  { type: JwtExpiredError, reason: 'token_expired', label: 'exp is in the past' },
  { type: JwtNotBeforeError, reason: 'token_not_yet_valid', label: 'nbf is in the future' },
  { type: CognitoJwtInvalidTokenUseError, reason: 'token_type_invalid', label: 'token_use is not access' },
  {
    type: CognitoJwtInvalidClientIdError,
    reason: 'client_not_allowed',
    label: 'client_id is not an allowed client',
  },
  { type: JwtInvalidIssuerError, reason: 'issuer_untrusted', label: 'iss does not match the issuer' },
  { type: JwtInvalidAudienceError, reason: 'audience_not_allowed', label: 'aud does not match' },
  { type: JwtInvalidClaimError, reason: 'claim_missing', label: 'a claim check failed' },
  {
    type: JwtInvalidSignatureAlgorithmError,
    reason: 'alg_not_allowed',
    label: 'header alg does not fit the key',
  },
  { type: JwtInvalidSignatureError, reason: 'signature_invalid', label: 'signature does not verify' },
  { type: KidNotFoundInJwksError, reason: 'kid_unknown', label: 'no signing key with this kid' },
  { type: JwtWithoutValidKidError, reason: 'kid_unknown', label: 'header has no kid' },
  { type: JwkInvalidUseError, reason: 'kid_unknown', label: 'the key with this kid is not a signing key' },
  { type: JwkInvalidKtyError, reason: 'kid_unknown', label: 'the key with this kid has an unsupported type' },
  { type: JwkValidationError, reason: 'kid_unknown', label: 'the key with this kid is unusable' },
  {
    type: WaitPeriodNotYetEndedJwkError,
    reason: 'jwks_unavailable',
    label: 'JWKS fetch failed recently; backing off',
  },
  { type: JwksNotAvailableInCacheError, reason: 'jwks_unavailable', label: 'JWKS not loaded' },
  { type: JwksTooLargeError, reason: 'jwks_too_large', label: 'JWKS response is too large' },
  { type: JwksTooManyKeysError, reason: 'jwks_too_large', label: 'JWKS lists too many keys' },
  { type: JwksValidationError, reason: 'jwks_unavailable', label: 'JWKS document is invalid' },
  { type: FetchError, reason: 'jwks_unavailable', label: 'JWKS fetch failed' },
  { type: JwtParseError, reason: 'token_malformed', label: 'token could not be parsed' },
  { type: NotSupportedError, reason: 'alg_not_allowed', label: 'algorithm not supported' },
];

interface IssuerVerifier {
  verify(token: string): Promise<JwtPayload>;
  verifySync(token: string): JwtPayload;
  cacheJwks(jwks: Jwks): void;
}

/**
 * Errors of a synchronous verification that only say the signing key is not cached yet: the asynchronous
 * verification (which may fetch the JWKS, rate-limited) then takes over.
 */
function keyNotCached(err: unknown): boolean {
  return err instanceof JwksNotAvailableInCacheError || err instanceof KidNotFoundInJwksError;
}

type KeycloakVerifyProperties = Partial<VerifyProperties>;

/**
 * aws-jwt-verify's JwtVerifier, handed the header and payload inspectToken already decoded from the same
 * received bytes instead of decoding them a second time (the library's JSON reviver cost as much as a fifth
 * of a fresh verification). Everything that verifies — key lookup by kid, key/alg fit, the signature over
 * the received `header.payload` ASCII, iss, exp and nbf — is the library's own code path, and the routing
 * decision and the verification see the very same decoded objects. The decoded payload is only read,
 * never merged into another object, so a `__proto__` key in it stays an inert own property.
 */
class InspectedJwtVerifier extends JwtVerifier<
  KeycloakVerifyProperties,
  JwtVerifierProperties<KeycloakVerifyProperties>,
  false
> {
  private prepared: { readonly token: string; readonly decomposed: DecomposedJwt } | undefined;

  constructor(props: JwtVerifierProperties<KeycloakVerifyProperties>, jwksCache: JwksCache) {
    super(props, jwksCache);
  }

  verifyInspected(token: string, decomposed: DecomposedJwt): Promise<JwtPayload> {
    // verify() reads its parameters synchronously, before its first await.
    this.prepared = { token, decomposed };
    try {
      return this.verify(token);
    } finally {
      this.prepared = undefined;
    }
  }

  /**
   * The library's synchronous verification (verifySync: the same key lookup, key/alg fit, signature and
   * claim checks, without the promise hops) for a key already in the JWKS cache; throws
   * JwksNotAvailableInCacheError or KidNotFoundInJwksError when the key has yet to be fetched.
   */
  verifyInspectedSync(token: string, decomposed: DecomposedJwt): JwtPayload {
    this.prepared = { token, decomposed };
    try {
      return this.verifySync(token);
    } finally {
      this.prepared = undefined;
    }
  }

  protected override getVerifyParameters(jwt: string, props?: Partial<KeycloakVerifyProperties>) {
    const prepared = this.prepared;
    if (prepared === undefined || prepared.token !== jwt) return super.getVerifyParameters(jwt, props);
    const issuerConfig = this.getIssuerConfig(prepared.decomposed.payload.iss);
    return {
      decomposedJwt: prepared.decomposed,
      jwksUri: issuerConfig.jwksUri,
      verifyProperties: { ...issuerConfig, ...props },
    };
  }
}

export function createTokenVerifier(config: AuthorizerConfig, deps: TokenVerifierDeps = {}): TokenVerifier {
  const now = deps.now ?? Date.now;
  const skew = config.clockSkewSeconds ?? DEFAULTS.clockSkewSeconds;
  const issuers = indexIssuers(config.issuers);
  const issuerByJwksUri = new Map<string, string>();
  const jwksCache = new RateLimitedJwksCache({
    fetcher:
      deps.fetcher ??
      new DeadlineFetcher(config.jwksTimeoutMs ?? DEFAULTS.jwksTimeoutMs, deps.requestOptions ?? {}),
    now,
    refetchIntervalMs: DEFAULTS.jwksRefetchIntervalMs,
    onFetchFailed: (uri, err) =>
      deps.events?.jwksFetchFailed?.(
        issuerByJwksUri.get(uri) ?? 'unknown',
        err instanceof JwksTooLargeError || err instanceof JwksTooManyKeysError
          ? 'JWKS too large'
          : err instanceof JwksValidationError
            ? 'invalid JWKS document'
            : describeFetchFailure(err),
      ),
  });

  // One library verifier per configured issuer, built once per container.
  const verifiers = new Map<TrustedIssuer, IssuerVerifier>();
  const inspectedVerifiers = new Map<TrustedIssuer, InspectedJwtVerifier>();
  for (const trusted of new Set(issuers.values())) {
    const c = trusted.config;
    let verifier: IssuerVerifier;
    if (c.kind === 'keycloak') {
      const jwksUri = keycloakJwksUri(c);
      issuerByJwksUri.set(jwksUri, trusted.url);
      // audience: null — aud and azp are checked by checkKeycloakClaims (the `account` rule needs it).
      const kc = new InspectedJwtVerifier(
        { issuer: c.issuer, jwksUri, audience: null, graceSeconds: skew },
        jwksCache,
      );
      inspectedVerifiers.set(trusted, kc);
      verifier = kc;
    } else {
      for (const host of ['cognito-idp', 'issuer-cognito-idp']) {
        issuerByJwksUri.set(
          `https://${host}.${c.region}.amazonaws.com/${c.userPoolId}/.well-known/jwks.json`,
          trusted.url,
        );
      }
      verifier = CognitoJwtVerifier.create(
        { userPoolId: c.userPoolId, tokenUse: 'access', clientId: [...c.allowedClients], graceSeconds: skew },
        { jwksCache },
      );
    }
    const preloaded = deps.jwks?.[trusted.url];
    if (preloaded !== undefined) {
      assertIsJwks(preloaded as Json);
      verifier.cacheJwks(preloaded as Jwks);
    }
    verifiers.set(trusted, verifier);
  }

  const cache = new VerifiedClaimsCache(config.verifiedCacheSize ?? DEFAULTS.verifiedCacheSize);

  /**
   * Synchronous up to the signature when the signing key is cached (the warm path); a promise only when
   * the JWKS has to be fetched first.
   */
  function verify(token: string): VerifyResult | Promise<VerifyResult> {
    const nowSeconds = now() / 1000;
    // A cache hit costs one SHA-256 and a Map lookup; only tokens of a plausible size are hashed.
    const key =
      cache.capacity > 0 && typeof token === 'string' && token.length <= MAX_TOKEN_LENGTH
        ? VerifiedClaimsCache.key(token)
        : undefined;
    const hit = key === undefined ? undefined : cache.get(key, nowSeconds);
    if (hit) return { ok: true, principal: hit.principal, facts: hit.facts, cached: true };

    const inspected = inspectToken(token);
    if (!inspected.ok) return inspected;
    const { facts, payload: unverified } = inspected;
    const trusted = selectIssuer(issuers, unverified.iss);
    if (!trusted) return reject('issuer_untrusted', facts, 'iss is not a trusted issuer');
    if (!trusted.algorithms.has(inspected.alg))
      return reject('alg_not_allowed', facts, 'alg not allowed for this issuer');

    deps.onSignatureVerification?.();
    const kc = inspectedVerifiers.get(trusted);
    const decomposed: DecomposedJwt = {
      header: inspected.header as JwtHeader,
      headerB64: inspected.headerB64,
      payload: unverified as JwtPayload,
      payloadB64: inspected.payloadB64,
      signatureB64: inspected.signatureB64,
    };
    const other = verifiers.get(trusted) as IssuerVerifier;
    let payload: JwtPayload;
    try {
      payload = kc ? kc.verifyInspectedSync(token, decomposed) : other.verifySync(token);
    } catch (err) {
      if (!keyNotCached(err)) return verificationFailed(err, facts);
      return (kc ? kc.verifyInspected(token, decomposed) : other.verify(token)).then(
        (verified) => afterSignature(verified, trusted, facts, key, nowSeconds),
        (e: unknown) => verificationFailed(e, facts),
      );
    }
    return afterSignature(payload, trusted, facts, key, nowSeconds);
  }

  /** Claim checks and the principal, on a payload whose signature the library has verified. */
  function afterSignature(
    payload: JwtPayload,
    trusted: TrustedIssuer,
    facts: TokenFacts,
    key: string | undefined,
    nowSeconds: number,
  ): VerifyResult {
    const common = checkCommonClaims(payload, nowSeconds, skew);
    if (!common.ok) return reject(common.reason, facts, common.detail);
    if (trusted.config.kind === 'keycloak') {
      const kc = checkKeycloakClaims(payload, trusted.config);
      if (!kc.ok) return reject(kc.reason, facts, kc.detail);
    }
    const p = claimsToPrincipal(payload, trusted.config, trusted.url, trusted.roleClients);
    if (!p.ok) return reject(p.reason, facts, p.detail);
    if (key !== undefined) cache.set(key, { principal: p.principal, facts });
    return { ok: true, principal: p.principal, facts, cached: false };
  }

  const internal = (err: unknown): VerifyResult =>
    reject('internal_error', {}, classifyError(err, []).detail);

  return {
    verify(token) {
      try {
        const result = verify(token);
        return result instanceof Promise ? result.catch(internal) : result;
      } catch (err) {
        return internal(err);
      }
    },
  };
}

function verificationFailed(err: unknown, facts: TokenFacts): VerifyResult {
  const c = classifyError(err, ERROR_RULES);
  const detail = err instanceof FetchError ? `${c.detail}: ${describeFetchFailure(err)}` : c.detail;
  return reject(c.reason, facts, detail);
}

function reject(reason: ReasonCode, facts: TokenFacts, detail: string): VerifyResult {
  return { ok: false, reason, facts, detail };
}

// ---------------------------------------------------------------------------------------------------------
// JWKS

const SUPPORTED_ALGS: ReadonlySet<string> = new Set(SIGNATURE_ALGORITHMS);

/** Key type (and curve) each signature algorithm needs (RFC 7518 §3.3-3.4, RFC 8037 §3.1). */
const KEY_FOR_ALG: Readonly<Record<SignatureAlgorithm, { kty: string; crv?: readonly string[] }>> = {
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: ['P-256'] },
  ES384: { kty: 'EC', crv: ['P-384'] },
  ES512: { kty: 'EC', crv: ['P-521'] },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'] },
};

/**
 * Keeps only keys usable for signatures. Keycloak publishes its RSA-OAEP encryption key (`use: enc`) in
 * the same realm JWKS as the signing key; dropping it here means it can never be picked by kid.
 */
export function signatureKeysOnly(jwks: Jwks): Jwks {
  return {
    keys: jwks.keys.filter(
      (k: Jwk) =>
        (k.use === undefined || k.use === 'sig') &&
        (k.alg === undefined || SUPPORTED_ALGS.has(k.alg)) &&
        typeof k.kid === 'string' &&
        (k.kty === 'RSA' || k.kty === 'EC' || k.kty === 'OKP'),
    ),
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseSignatureJwks(body: ArrayBuffer): Jwks {
  let parsed: Json;
  try {
    parsed = safeJsonParse(utf8.decode(body));
  } catch {
    throw new JwksValidationError('JWKS is not UTF-8 JSON');
  }
  try {
    assertIsJwks(parsed);
  } catch {
    throw new JwksValidationError('JWKS has the wrong shape');
  }
  if (parsed.keys.length > MAX_JWKS_KEYS) {
    throw new JwksTooManyKeysError(`JWKS lists more than ${MAX_JWKS_KEYS} keys`);
  }
  return signatureKeysOnly(parsed);
}

/**
 * The JWKS cache: aws-jwt-verify's SimpleJwksCache (fetch, parse, cache per JWKS URI) with a refetch
 * policy the library's penalty box cannot express:
 * - a cached kid never causes a fetch, so known keys keep working while the IdP is down;
 * - one fetch per JWKS URI per `refetchIntervalMs`, whether it succeeded or not, plus ONE immediate
 *   refetch for the first unknown kid after a successful interval fetch: a key rotated in moments after a
 *   container's fetch (Keycloak signs with a new key as soon as it has the highest priority) is accepted
 *   at once instead of being refused for up to the interval. The immediate refetch grants no further one,
 *   so unknown kids (garbage) cause at most two fetches per interval and can never turn the authorizer
 *   into a load generator against the IdP; after a failed fetch there is no immediate refetch, so while
 *   the IdP is down requests fail fast instead of each waiting for a timeout;
 * - concurrent requests share one fetch in flight;
 * - a failure is reported (VerifierEvents.jwksFetchFailed) and the last good JWKS stays in use.
 * The library's SimplePenaltyBox only backs off after a successful fetch that lacked the kid, and uses
 * real timers; this clock is injectable.
 */
export class RateLimitedJwksCache implements JwksCache {
  private readonly inner: SimpleJwksCache;
  private readonly lastFetchAt = new Map<string, number>();
  /** JWKS URIs whose last interval fetch succeeded and whose immediate refetch is still unused. */
  private readonly refetchAllowed = new Set<string>();
  private readonly inflight = new Map<string, Promise<Jwks>>();
  private readonly loaded = new Set<string>();

  constructor(
    private readonly opts: {
      readonly fetcher: Fetcher;
      readonly now: () => number;
      readonly refetchIntervalMs: number;
      readonly onFetchFailed: (jwksUri: string, err: unknown) => void;
    },
  ) {
    this.inner = new SimpleJwksCache({ fetcher: opts.fetcher, jwksParser: parseSignatureJwks });
  }

  addJwks(jwksUri: string, jwks: Jwks): void {
    this.inner.addJwks(jwksUri, signatureKeysOnly(jwks));
    this.loaded.add(jwksUri);
  }

  /** The cached key for the token's kid (the synchronous path), checked to fit the header's alg. */
  getCachedJwk(jwksUri: string, decomposedJwt: { header: JwtHeader; payload: JwtPayload }): JwkWithKid {
    return assertKeyFitsAlg(this.inner.getCachedJwk(jwksUri, decomposedJwt), decomposedJwt.header.alg);
  }

  getJwks(jwksUri: string): Promise<Jwks> {
    const running = this.inflight.get(jwksUri);
    if (running) return running;
    const at = this.opts.now();
    const last = this.lastFetchAt.get(jwksUri);
    const immediate = last !== undefined && at - last < this.opts.refetchIntervalMs;
    if (immediate && !this.refetchAllowed.has(jwksUri)) {
      return Promise.reject(
        this.loaded.has(jwksUri)
          ? new KidNotFoundInJwksError('kid not in the cached JWKS; refetch is rate-limited')
          : new WaitPeriodNotYetEndedJwkError('JWKS fetch failed recently; backing off'),
      );
    }
    // Any fetch uses up the immediate refetch; only a successful interval fetch grants a new one.
    this.refetchAllowed.delete(jwksUri);
    this.lastFetchAt.set(jwksUri, at);
    const fetching = this.inner
      .getJwks(jwksUri)
      .then(
        (jwks) => {
          this.loaded.add(jwksUri);
          if (!immediate) this.refetchAllowed.add(jwksUri);
          return jwks;
        },
        (err: unknown) => {
          this.opts.onFetchFailed(jwksUri, err);
          throw err;
        },
      )
      .finally(() => this.inflight.delete(jwksUri));
    this.inflight.set(jwksUri, fetching);
    return fetching;
  }

  async getJwk(
    jwksUri: string,
    decomposedJwt: { header: JwtHeader; payload: JwtPayload },
  ): Promise<JwkWithKid> {
    const { kid, alg } = decomposedJwt.header;
    if (typeof kid !== 'string') throw new JwtWithoutValidKidError('header has no kid');
    let jwk: JwkWithKid | undefined;
    if (this.loaded.has(jwksUri)) {
      try {
        jwk = this.inner.getCachedJwk(jwksUri, decomposedJwt);
      } catch (err) {
        if (!(err instanceof KidNotFoundInJwksError)) throw err;
      }
    }
    if (!jwk) {
      jwk = findJwkInJwks(await this.getJwks(jwksUri), kid);
      if (!jwk) throw new KidNotFoundInJwksError('kid not in the JWKS');
    }
    return assertKeyFitsAlg(jwk, alg);
  }
}

/**
 * Before the signature is checked: the header's alg must fit the key (an RS256 header must not be verified
 * with an EC key the JWKS publishes without `alg`, and vice versa).
 */
function assertKeyFitsAlg(jwk: JwkWithKid, alg: string | undefined): JwkWithKid {
  const want = KEY_FOR_ALG[alg as SignatureAlgorithm] as (typeof KEY_FOR_ALG)[SignatureAlgorithm] | undefined;
  if (
    !want ||
    jwk.kty !== want.kty ||
    (want.crv !== undefined && !want.crv.includes(jwk.crv as string)) ||
    (jwk.alg !== undefined && jwk.alg !== alg)
  ) {
    throw new JwtInvalidSignatureAlgorithmError('header alg does not fit the key', alg, jwk.alg ?? jwk.kty);
  }
  return jwk;
}

/**
 * JWKS fetch bounded by one time budget (config jwksTimeoutMs, at most 4 s) and by MAX_JWKS_BYTES: an HTTPS
 * GET with a response time-out, retried once only if the first attempt failed fast and enough budget is
 * left. The library's SimpleFetcher retries with a fresh full time-out, which could double the wait — a
 * decision must stay well inside API Gateway's 10 s authorizer limit
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html) — and buffers the whole body,
 * however large. aws-jwt-verify takes any `Fetcher` in place of its SimpleFetcher
 * (https://github.com/awslabs/aws-jwt-verify#using-a-different-fetcher-with-simplejwkscache).
 */
export class DeadlineFetcher implements Fetcher {
  constructor(
    private readonly timeoutMs: number,
    private readonly requestOptions: Readonly<Record<string, unknown>> = {},
    private readonly maxBytes: number = MAX_JWKS_BYTES,
  ) {}

  async fetch(uri: string, requestOptions?: Record<string, unknown>): Promise<ArrayBuffer> {
    const start = Date.now();
    const options = { ...this.requestOptions, ...requestOptions };
    const attempt = (ms: number) => boundedGet(uri, options, ms, this.maxBytes);
    try {
      return await attempt(this.timeoutMs);
    } catch (err) {
      const left = this.timeoutMs - (Date.now() - start);
      if (err instanceof NonRetryableFetchError || left < MIN_RETRY_MS) throw err;
      return attempt(left);
    }
  }
}

/**
 * One HTTPS GET that reads at most `maxBytes` of body: a larger declared Content-Length is refused before
 * the body is read, and a longer body (chunked, or lying about its length) is cut off by destroying the
 * connection as soon as the count passes the bound. Errors are the library's FetchError family, with the
 * messages describeFetchFailure reads (`Status code is N`, `Response time-out`).
 */
function boundedGet(
  uri: string,
  options: Readonly<Record<string, unknown>>,
  timeoutMs: number,
  maxBytes: number,
): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = httpsRequest(uri, { ...options, method: 'GET' }, (res) => {
      if (res.statusCode !== 200) {
        done(new NonRetryableFetchError(uri, `Status code is ${res.statusCode}, expected 200`));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        done(new JwksTooLargeError(uri, `Content-Length exceeds ${maxBytes} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) done(new JwksTooLargeError(uri, `response exceeds ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks, size);
        done(undefined, body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
      });
      res.on('error', (e) => done(e));
    });
    const timer = setTimeout(
      () => done(new FetchError(uri, `Response time-out (after ${timeoutMs} ms.)`)),
      timeoutMs,
    );
    timer.unref();
    req.on('error', (e) => done(e));
    req.end();

    function done(err: Error | undefined, body?: ArrayBuffer): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === undefined) {
        resolve(body as ArrayBuffer);
        return;
      }
      // Closes the connection: nothing more of the body is read, and the socket is not reused.
      req.destroy();
      reject(err instanceof FetchError ? err : new FetchError(uri, err.message));
    }
  });
}
