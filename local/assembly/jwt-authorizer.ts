/**
 * An HTTP API JWT authorizer, locally: API Gateway verifies the token itself, so here a stand-in function
 * does what it does (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html):
 * an RSA signature ("only RSA-based algorithms are supported") against the issuer's JWKS and `exp`/`nbf`
 * (aws-jwt-verify), `iat` not in the future, the issuer, `aud` matching one
 * configured audience — `client_id` only when the token has no `aud` — and, when the route names
 * authorization scopes, at least one of them in the token's `scope` (or `scp`). A failed check is a 401, a
 * missing scope a 403; the claims reach the integration as `requestContext.authorizer.jwt`.
 */
import { JwtVerifier } from 'aws-jwt-verify';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import type { LambdaFunction } from '../gateway/local-gateway';

/** The context key carrying the verified claims from the stand-in to the integration event. */
const JWT_CONTEXT = 'keygateLocalJwt';

export interface LocalJwtAuthorizerOptions {
  /** The issuer tokens name locally (the stand-in for the template's issuer). */
  readonly issuer: string;
  /** The issuer's JWKS URI, or how to find it on first use (OpenID Connect discovery, jwt-authorizer-oidc.ts). */
  readonly jwksUri: string | ((fetcher: SimpleFetcher) => Promise<string>);
  readonly audience: readonly string[];
  /** Authorization scopes by route key. */
  readonly scopes: Readonly<Record<string, readonly string[]>>;
  /** PEM to trust for the JWKS endpoint. */
  readonly ca?: string;
}

/** The algorithms API Gateway's JWT authorizers verify: RSA-based ones. */
const RSA_ALGORITHMS = new Set(['RS256', 'RS384', 'RS512']);

/** The token's header names an RSA algorithm (read unverified: the signature check follows). */
export function rsaSigned(token: string): boolean {
  try {
    return RSA_ALGORITHMS.has(String(decomposeUnverifiedJwt(token).header.alg));
  } catch {
    return false;
  }
}

/** `iat`, when present, is not after now. */
export function issuedInThePast(claims: Record<string, unknown>, nowSeconds = Date.now() / 1000): boolean {
  return claims.iat === undefined || (typeof claims.iat === 'number' && claims.iat <= nowSeconds);
}

/** The audience rule: `aud` when present, else `client_id`. */
export function audienceMatches(claims: Record<string, unknown>, audience: readonly string[]): boolean {
  if (claims.aud !== undefined) {
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    return aud.some((a) => typeof a === 'string' && audience.includes(a));
  }
  return typeof claims.client_id === 'string' && audience.includes(claims.client_id);
}

export function scopesOf(claims: Record<string, unknown>): string[] {
  const raw = claims.scope ?? claims.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  return Array.isArray(raw) ? raw.filter((s): s is string => typeof s === 'string') : [];
}

/** The stand-in, called by the local gateway as a simple-response authorizer (payload 2.0 event). */
export function localJwtAuthorizer(options: LocalJwtAuthorizerOptions): LambdaFunction {
  const fetcher = new SimpleFetcher({ defaultRequestOptions: options.ca ? { ca: options.ca } : {} });
  const create = (jwksUri: string) =>
    JwtVerifier.create(
      { issuer: options.issuer, jwksUri, audience: null },
      { jwksCache: new SimpleJwksCache({ fetcher }) },
    );
  const { jwksUri } = options;
  let verifier: Promise<ReturnType<typeof create>> | undefined =
    typeof jwksUri === 'string' ? Promise.resolve(create(jwksUri)) : undefined;
  // Discovered on the first request, again after a failed discovery (the issuer may come up later).
  const verifierOf = () =>
    (verifier ??= (jwksUri as (f: SimpleFetcher) => Promise<string>)(fetcher).then(create, (e: unknown) => {
      verifier = undefined;
      throw e;
    }));
  return async (event) => {
    const e = event as { identitySource?: string[]; routeKey?: string };
    // The identity source may hold the token alone or prefixed with `Bearer`.
    const token = (e.identitySource?.[0] ?? '').replace(/^Bearer\s+/i, '');
    if (!rsaSigned(token)) throw new Error('Unauthorized');
    let claims: Record<string, unknown>;
    try {
      claims = (await (await verifierOf()).verify(token)) as Record<string, unknown>;
    } catch {
      throw new Error('Unauthorized');
    }
    if (!issuedInThePast(claims) || !audienceMatches(claims, options.audience)) {
      throw new Error('Unauthorized');
    }
    const required = options.scopes[e.routeKey ?? ''] ?? [];
    const held = scopesOf(claims);
    if (required.length > 0 && !required.some((s) => held.includes(s))) return { isAuthorized: false };
    return { isAuthorized: true, context: { [JWT_CONTEXT]: JSON.stringify({ claims, scopes: held }) } };
  };
}

/**
 * The integration of a JWT route: its event carries the claims where API Gateway puts them,
 * `requestContext.authorizer.jwt.{claims,scopes}`, instead of a Lambda authorizer's context.
 */
export function withJwtContext(integration: LambdaFunction): LambdaFunction {
  return (event) => {
    const ctx = (event as { requestContext?: { authorizer?: { lambda?: Record<string, string> } } })
      .requestContext;
    const carried = ctx?.authorizer?.lambda?.[JWT_CONTEXT];
    if (ctx && carried !== undefined) {
      ctx.authorizer = { jwt: JSON.parse(carried) as Record<string, unknown> } as never;
    }
    return integration(event);
  };
}
