/**
 * The checks of KeygateAuthorizerProps, each naming the prop it reads. They run in the constructor, before
 * the whole configuration is checked as the function will check it (render-authorizer-config.ts), so a
 * mistake in a prop is reported in the prop's own words rather than in the runtime configuration's.
 */
import { Token } from 'aws-cdk-lib';
import type { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { COOKIE_OR_QUERY_NAME, DEFAULTS, issuerUrl } from '../../common/authorizer-config';
import { COOKIE_NAME_RULE, DEFAULT_SESSION_COOKIE_NAME, isCookieName } from '../../common/cookie-names';
import { isHeaderName, isHttpsOrigin, isHttpsUrl } from '../../common/field-checks';
import { KeygateValidationError } from '../internal/validation-error';
import type { BrowserSessionOptions, KeygateAuthorizerProps } from './keygate-authorizer';

const MAX_CACHE_TTL_SECONDS = 3600;

/** The runtime options the props set, in the configuration's own names. */
export type AuthorizerRuntimeOptions = Pick<
  AuthorizerConfig,
  'clockSkewSeconds' | 'jwksTimeoutMs' | 'verifiedCacheSize'
>;

/** At least one issuer, none twice (compared by issuer URL, deploy-time values by their stand-ins). */
export function checkIssuers(scope: Construct, props: KeygateAuthorizerProps): void {
  if (props.issuers.length === 0) {
    throw new KeygateValidationError(
      scope,
      'issuers',
      'KeygateAuthorizer: issuers must list at least one TrustedIssuer',
    );
  }
  const seen = new Set<string>();
  props.issuers.forEach((issuer, n) => {
    const url = issuerUrl(issuer._probe);
    if (seen.has(url)) {
      throw new KeygateValidationError(
        scope,
        `issuers[${n}]`,
        `KeygateAuthorizer: issuers[${n}]: issuer ${url} is listed twice`,
      );
    }
    seen.add(url);
  });
}

/** Where the token may come from: `tokenHeader`, `tokenCookie`, `tokenQueryParameter`. */
export function checkTokenSource(scope: Construct, props: KeygateAuthorizerProps): void {
  if (props.tokenHeader !== undefined && !isHeaderName(props.tokenHeader)) {
    throw new KeygateValidationError(
      scope,
      'tokenHeader',
      'KeygateAuthorizer: tokenHeader must be an HTTP header name',
    );
  }
  if (props.tokenCookie !== undefined && !COOKIE_OR_QUERY_NAME.test(props.tokenCookie)) {
    throw new KeygateValidationError(
      scope,
      'tokenCookie',
      'KeygateAuthorizer: tokenCookie must be a cookie name of letters, digits, _ . -',
    );
  }
  if (props.tokenQueryParameter !== undefined && !COOKIE_OR_QUERY_NAME.test(props.tokenQueryParameter)) {
    throw new KeygateValidationError(
      scope,
      'tokenQueryParameter',
      'KeygateAuthorizer: tokenQueryParameter must be a parameter name of letters, digits, _ . -',
    );
  }
}

/** `tokenCookieAllowedOrigins`: https origins, and only with `tokenCookie`. */
export function tokenCookieOrigins(scope: Construct, props: KeygateAuthorizerProps): string[] | undefined {
  const origins = props.tokenCookieAllowedOrigins;
  if (origins === undefined) return undefined;
  if (props.tokenCookie === undefined) {
    throw new KeygateValidationError(
      scope,
      'tokenCookieAllowedOrigins',
      'KeygateAuthorizer: tokenCookieAllowedOrigins needs tokenCookie',
    );
  }
  for (const o of origins) {
    if (!Token.isUnresolved(o) && !isHttpsOrigin(o)) {
      throw new KeygateValidationError(
        scope,
        'tokenCookieAllowedOrigins',
        `KeygateAuthorizer: tokenCookieAllowedOrigins must list https origins (scheme, host, optional port), got '${o}'`,
      );
    }
  }
  return [...origins];
}

/** `browserSessions`: the cookie, header, origins and base URL the sign-in routes use. */
export function checkBrowserSessions(scope: Construct, props: KeygateAuthorizerProps): void {
  const s: BrowserSessionOptions | undefined = props.browserSessions;
  if (s === undefined) return;
  const fail = (field: string, rule: string) => {
    throw new KeygateValidationError(
      scope,
      `browserSessions.${field}`,
      `KeygateAuthorizer: browserSessions.${field} ${rule}`,
    );
  };
  if (s.cookieName !== undefined && !isCookieName(s.cookieName))
    fail('cookieName', `must be ${COOKIE_NAME_RULE}`);
  if (
    props.tokenCookie !== undefined &&
    props.tokenCookie === (s.cookieName ?? DEFAULT_SESSION_COOKIE_NAME)
  ) {
    fail('cookieName', 'must differ from tokenCookie');
  }
  if (s.csrfHeader !== undefined && !isHeaderName(s.csrfHeader))
    fail('csrfHeader', 'must be an HTTP header name');
  if (s.allowedOrigins !== undefined && !s.allowedOrigins.every(isHttpsOrigin)) {
    fail('allowedOrigins', 'must be a list of https origins (scheme, host and optional port only)');
  }
  if (s.publicBaseUrl !== undefined && !isHttpsUrl(s.publicBaseUrl)) {
    fail('publicBaseUrl', 'must be an https URL without a trailing slash');
  }
}

/** `resultsCacheTtl`, with its defaults: 5 minutes, or 0 when the token may come from elsewhere than the header. */
export function resolveCacheTtl(scope: Construct, props: KeygateAuthorizerProps): number {
  if (props.tokenBinding) return bindingCacheTtl(scope, props.resultsCacheTtl);
  const alternate =
    props.tokenCookie !== undefined ||
    props.tokenQueryParameter !== undefined ||
    props.browserSessions !== undefined;
  if (props.resultsCacheTtl === undefined) return alternate ? 0 : 300;
  const seconds = props.resultsCacheTtl.toSeconds();
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_CACHE_TTL_SECONDS) {
    throw new KeygateValidationError(
      scope,
      'resultsCacheTtl',
      `KeygateAuthorizer: resultsCacheTtl must be a whole number of seconds from 0 to 3600 (1 hour), got ${seconds}`,
    );
  }
  if (alternate && seconds !== 0) {
    throw new KeygateValidationError(
      scope,
      'resultsCacheTtl',
      'KeygateAuthorizer: resultsCacheTtl must be 0 when tokenCookie, tokenQueryParameter or browserSessions is set: API Gateway ' +
        'answers 401 without calling the authorizer when a listed identity source is missing, so a token that may ' +
        'come from either place leaves no identity source to cache by; and a cookie needs a same-origin check on ' +
        "each request's own Origin and Sec-Fetch-Site headers, which a cached answer would skip",
    );
  }
  return seconds;
}

/**
 * API Gateway's result cache is per authorizer and keyed by the identity sources: it would replay an
 * allow without the single-use DPoP proof, and without looking at the client certificate (not an
 * identity source). So token binding needs it off.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html
 */
function bindingCacheTtl(scope: Construct, ttl: Duration | undefined): number {
  if (ttl === undefined || ttl.toSeconds() === 0) return 0;
  throw new KeygateValidationError(
    scope,
    'resultsCacheTtl',
    `KeygateAuthorizer: resultsCacheTtl must be 0 with tokenBinding (got ${ttl.toSeconds()} s): a DPoP proof is ` +
      'single-use and a client certificate is not part of the cache key, so a cached answer would skip the proof',
  );
}

/** `clockSkew`, `jwksTimeout` and `verifiedCacheSize`, as the runtime configuration spells them. */
export function runtimeOptions(scope: Construct, props: KeygateAuthorizerProps): AuthorizerRuntimeOptions {
  return {
    ...(props.clockSkew !== undefined ? { clockSkewSeconds: clockSkewSeconds(scope, props.clockSkew) } : {}),
    ...(props.jwksTimeout !== undefined ? { jwksTimeoutMs: jwksTimeoutMs(scope, props.jwksTimeout) } : {}),
    ...(props.verifiedCacheSize !== undefined
      ? { verifiedCacheSize: cacheSize(scope, props.verifiedCacheSize) }
      : {}),
  };
}

function clockSkewSeconds(scope: Construct, d: Duration): number {
  const s = d.toSeconds();
  const max = DEFAULTS.maxClockSkewSeconds;
  if (!Number.isInteger(s) || s < 0 || s > max) {
    throw new KeygateValidationError(
      scope,
      'clockSkew',
      `KeygateAuthorizer: clockSkew must be a whole number of seconds from 0 to ${max}, got ${s}`,
    );
  }
  return s;
}

function jwksTimeoutMs(scope: Construct, d: Duration): number {
  const ms = d.toMilliseconds();
  if (!Number.isInteger(ms) || ms < 100 || ms > DEFAULTS.maxJwksTimeoutMs) {
    throw new KeygateValidationError(
      scope,
      'jwksTimeout',
      `KeygateAuthorizer: jwksTimeout must be from 100 ms to ${DEFAULTS.maxJwksTimeoutMs} ms, got ${ms} ms`,
    );
  }
  return ms;
}

function cacheSize(scope: Construct, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 100_000) {
    throw new KeygateValidationError(
      scope,
      'verifiedCacheSize',
      `KeygateAuthorizer: verifiedCacheSize must be an integer from 0 to 100000, got ${n}`,
    );
  }
  return n;
}

/** `memorySize`: what Lambda offers, 512 MiB by default. */
export function memorySize(scope: Construct, props: KeygateAuthorizerProps): number {
  const mib = props.memorySize ?? 512;
  if (!Number.isInteger(mib) || mib < 128 || mib > 10240) {
    throw new KeygateValidationError(
      scope,
      'memorySize',
      `KeygateAuthorizer: memorySize must be an integer from 128 to 10240, got ${mib}`,
    );
  }
  return mib;
}
