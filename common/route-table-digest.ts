/**
 * The digest of a route table as the construct checked it at synth, so that the authorizer does not run
 * the whole-table checks (common/route-table-checks.ts) again at every cold start for the same table.
 *
 * The construct checks the configuration at synth, whole-table checks included, and stamps it with the
 * SHA-256 of the canonical content those checks read (routeTableContent). At cold start the authorizer
 * hashes the same content of the configuration it was given: when the digests are equal, the table is
 * the one that was checked and only each route's own checks run; when the digest is missing or differs
 * (a configuration written or edited by hand), every check runs, as for any unchecked configuration.
 *
 * The digest is neither a secret nor a signature: anyone who can edit the configuration can recompute it,
 * and so skip the whole-table checks for a table that fails them. It guards against mistakes, not against
 * whoever can change the function's environment (who can change its code as well): docs/security.md.
 */
import { hash } from 'node:crypto';

/**
 * Names what the checks are: changed whenever the whole-table checks accept or refuse other tables, so
 * that a configuration checked by another version is checked again.
 */
const CHECKS_VERSION = 'keygate-route-table-checks/1';

/** What the digest is taken of: the configuration's fields the whole-table checks read. */
export interface RouteTableParts {
  readonly routes?: unknown;
  /** The trusted issuers' URLs, in the configuration's order (a route's issuer scope names them). */
  readonly issuerUrls: readonly unknown[];
  readonly resultCacheTtlSeconds?: unknown;
  readonly responseMode?: unknown;
}

/**
 * The content the digest is taken of, as one string: the routes exactly as written (every field, keys in
 * their order: the checks compare requirements as written), the result cache TTL and the response mode.
 * An issuer URL in a route's `requirement.issuers` is written as the position of that issuer in the
 * configuration (`{"issuer":0}`): the checks compare scopes by equality only, and a Cognito pool's URL
 * is a deploy-time value the construct checks with a stand-in. Any value, valid or not, has a content.
 */
export function routeTableContent(parts: RouteTableParts): string {
  const position = new Map<unknown, number>();
  parts.issuerUrls.forEach((url, n) => {
    if (typeof url === 'string' && !position.has(url)) position.set(url, n);
  });
  const routes = Array.isArray(parts.routes)
    ? parts.routes.map((r: unknown) => withScopePositions(r, position))
    : parts.routes;
  return JSON.stringify([
    CHECKS_VERSION,
    routes ?? null,
    parts.resultCacheTtlSeconds ?? null,
    parts.responseMode ?? null,
  ]);
}

/** A route with the URLs of its requirement's issuer scope written as issuer positions. */
function withScopePositions(route: unknown, position: ReadonlyMap<unknown, number>): unknown {
  if (typeof route !== 'object' || route === null) return route;
  const requirement = (route as { requirement?: unknown }).requirement;
  if (typeof requirement !== 'object' || requirement === null) return route;
  const scope = (requirement as { issuers?: unknown }).issuers;
  if (!Array.isArray(scope)) return route;
  // Spreading keeps every key where it was, so the content keeps the route's key order.
  return {
    ...route,
    requirement: {
      ...requirement,
      issuers: scope.map((url: unknown) => {
        const n = position.get(url);
        return n === undefined ? url : { issuer: n };
      }),
    },
  };
}

/** SHA-256, hex, of routeTableContent: what the construct stamps and the authorizer compares. */
export function routeTableDigest(parts: RouteTableParts): string {
  // One-shot crypto.hash (Node >= 20.12): at a cold start, a third of createHash's first call.
  return hash('sha256', routeTableContent(parts), 'hex');
}

/** What a digest looks like: SHA-256 in lower-case hex. */
export const ROUTE_TABLE_DIGEST_PATTERN = /^[0-9a-f]{64}$/;
