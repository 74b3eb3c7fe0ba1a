/**
 * An HTTP API JWT authorizer whose issuer is any OpenID Connect provider (not a Keycloak realm, for which
 * a built-in issuer stands in): the local gateway does what API Gateway does with it, against the issuer
 * as deployed. It reads the issuer's discovery document, `<issuer>/.well-known/openid-configuration`, takes
 * its `jwks_uri` (https only) and verifies tokens against those keys with the same checks as for a realm
 * (jwt-authorizer.ts: signature, `exp`/`nbf`, `iss`, `aud` else `client_id`, the route's scopes).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
 * OpenID Connect Discovery 1.0, section 4: https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 */
import type { SimpleFetcher } from 'aws-jwt-verify/https';

/** A Keycloak realm's issuer URL (`https://host[/auth]/realms/<name>`): a built-in issuer can stand in for it. */
export function isKeycloakRealmIssuer(issuer: string): boolean {
  return /^https:\/\/[^/]+(?:\/auth)?\/realms\/[^/]+$/.test(issuer);
}

/** Why an OpenID Connect discovery failed: the gateway answers the request 401 and tries again on the next. */
export class OidcDiscoveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcDiscoveryError';
  }
}

/** `<issuer>/.well-known/openid-configuration`, a trailing slash of the issuer removed first (Discovery, 4). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * The issuer's JWKS URI from its discovery document. The document must name the same issuer (Discovery,
 * 4.3: "MUST be identical") and an https `jwks_uri`; anything else fails closed.
 */
export function discoverJwksUri(issuer: string): (fetcher: SimpleFetcher) => Promise<string> {
  return async (fetcher) => {
    const url = discoveryUrl(issuer);
    let doc: { issuer?: unknown; jwks_uri?: unknown };
    try {
      doc = JSON.parse(new TextDecoder().decode(await fetcher.fetch(url))) as typeof doc;
    } catch (e) {
      throw new OidcDiscoveryError(`cannot read ${url}: ${(e as Error).message}`, { cause: e });
    }
    if (doc.issuer !== issuer) {
      throw new OidcDiscoveryError(`${url} names the issuer ${String(doc.issuer)}, not ${issuer}`);
    }
    if (typeof doc.jwks_uri !== 'string' || !doc.jwks_uri.startsWith('https://')) {
      throw new OidcDiscoveryError(`${url} has no https jwks_uri`);
    }
    return doc.jwks_uri;
  };
}
