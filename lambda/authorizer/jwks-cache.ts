/**
 * The JWKS cache and its fetcher: signing keys per JWKS URI, fetched over HTTPS on first need, bounded in
 * size and time, refetched at a limited rate. Plugged into aws-jwt-verify through its public `JwksCache` and
 * `Fetcher` interfaces (https://github.com/awslabs/aws-jwt-verify#using-a-different-jwks-cache and
 * #using-a-different-fetcher-with-simplejwkscache), so the library's own verification reads keys from it.
 */
import {
  FetchError,
  JwksValidationError,
  JwtInvalidSignatureAlgorithmError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  NonRetryableFetchError,
  WaitPeriodNotYetEndedJwkError,
} from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { assertIsJwks, findJwkInJwks, SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { Jwk, Jwks, JwksCache, JwkWithKid } from 'aws-jwt-verify/jwk';
import type { JwtHeader, JwtPayload } from 'aws-jwt-verify/jwt-model';
import { safeJsonParse } from 'aws-jwt-verify/safe-json-parse';
import type { Json } from 'aws-jwt-verify/safe-json-parse';
import type { SignatureAlgorithm } from '../../common/authorizer-config';
import { SIGNATURE_ALGORITHMS } from '../../common/authorizer-config';
import { describeFetchFailure } from './redact';
import { MAX_JWKS_BYTES } from '../../common/jwks-limits';
import {
  BoundedFetcher,
  JwksFetchTimeoutError,
  JwksResponseTooLargeError,
  JwksStatusError,
} from '../shared/bounded-fetcher';

export type { Fetcher } from 'aws-jwt-verify/https';

/** A retry is only worth it if this much of the time budget is left. */
const MIN_RETRY_MS = 250;

/**
 * Bounds on a JWKS response: its size is every function's (common/jwks-limits.ts); the key count is the
 * authorizer's, whose JWKS cache holds the keys for the container's life.
 */
export { MAX_JWKS_BYTES };
export const MAX_JWKS_KEYS = 100;

/** The JWKS response is larger than MAX_JWKS_BYTES: reading stopped there. Not worth a retry. */
export class JwksTooLargeError extends NonRetryableFetchError {}
/** The JWKS lists more than MAX_JWKS_KEYS keys. */
export class JwksTooManyKeysError extends JwksValidationError {}

/** A failed JWKS fetch, described for the log without the response body. */
export function describeJwksFailure(err: unknown): string {
  if (err instanceof JwksTooLargeError || err instanceof JwksTooManyKeysError) return 'JWKS too large';
  if (err instanceof JwksValidationError) return 'invalid JWKS document';
  return describeFetchFailure(err);
}

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
 * JWKS fetch bounded by one time budget (config jwksTimeoutMs, at most 4 s) and by MAX_JWKS_BYTES: one
 * bounded HTTPS GET (lambda/shared/bounded-fetcher.ts, the fetcher every Keygate function uses), retried
 * once only if the first attempt failed fast and enough budget is left. The library's SimpleFetcher
 * retries with a fresh full time-out, which could double the wait — a decision must stay well inside API
 * Gateway's 10 s authorizer limit (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html)
 * — and buffers the whole body, however large. aws-jwt-verify takes any `Fetcher` in place of its
 * SimpleFetcher (https://github.com/awslabs/aws-jwt-verify#using-a-different-fetcher-with-simplejwkscache).
 * Failures become the library's FetchError family, with the messages describeFetchFailure reads
 * (`Status code is N`, `Response time-out`).
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
    const attempt = (ms: number) =>
      new BoundedFetcher({ timeoutMs: ms, maxBytes: this.maxBytes, requestOptions: options })
        .fetch(uri)
        .catch((e: unknown) => {
          throw asLibraryError(uri, e);
        });
    try {
      return await attempt(this.timeoutMs);
    } catch (err) {
      const left = this.timeoutMs - (Date.now() - start);
      if (err instanceof NonRetryableFetchError || left < MIN_RETRY_MS) throw err;
      return attempt(left);
    }
  }
}

/** The shared fetcher's failures as aws-jwt-verify's, which verify-token.ts maps to reason codes. */
function asLibraryError(uri: string, e: unknown): FetchError {
  if (e instanceof JwksResponseTooLargeError) return new JwksTooLargeError(uri, e.message);
  if (e instanceof JwksStatusError)
    return new NonRetryableFetchError(uri, `Status code is ${e.status}, expected 200`);
  if (e instanceof JwksFetchTimeoutError) return new FetchError(uri, `Response time-out (${e.message}.)`);
  // A transport error keeps Node's message (its code, e.g. ECONNREFUSED, is what the log reports).
  const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
  return new FetchError(uri, cause instanceof Error ? cause.message : 'fetch failed');
}
