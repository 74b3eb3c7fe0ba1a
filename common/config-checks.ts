/**
 * The checks of an authorizer configuration that a configuration the construct checked does not need again
 * (common/config-digest.ts): the version, each Keycloak issuer, the route table (each route and the whole
 * table), the requirements against the issuers, the token source, the plain settings and the top-level
 * fields. The checks of the optional blocks and of Cognito issuers run for every configuration
 * (authorizer-config-validate.ts).
 *
 * The authorizer bundles this file into a deferred module of its own (`config-checks.js`, beside
 * `index.js`: lib/internal/lambda-entries.ts), loaded at cold start only for a configuration without the
 * digest of its checked content, so it exports functions only.
 */
import type { AuthorizerConfig } from './authorizer-config';
import {
  acrLoaMapOf,
  AUTHORIZER_CONFIG_VERSION,
  DEFAULTS,
  issuerIssues,
  issuerListErrors,
  issuerScopeIssues,
  issuerUrl,
  tokenSourceIssues,
} from './authorizer-config';
import { CONFIG_DIGEST_FIELD, CONFIG_DIGEST_PATTERN } from './config-digest';
import { isIntIn } from './field-checks';
import type { FieldIssue } from './field-issue';
import { fieldIssue, issuesAbout } from './field-issue';
import type { RouteSpec } from './route-model';
import { boundParams, routeIssues } from './route-model';
import { policySizeIssues } from './route-table-checks';
import { validateStepUpRoutes } from './step-up-checks';

/**
 * Every problem of these parts of a configuration (an object), each by its field, in this order: version,
 * issuers, routes, requirements against issuers (when all before is clean), token source, settings.
 */
export function uncheckedConfigIssues(c: Readonly<Record<string, unknown>>): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (c.version !== AUTHORIZER_CONFIG_VERSION)
    errors.push(fieldIssue('version', `must be ${AUTHORIZER_CONFIG_VERSION}`));
  errors.push(...issuerListErrors(c.issuers, errors.length === 0, issuerIssues));
  errors.push(...routeTableErrors(c));
  if (errors.length === 0) errors.push(...issuerScopeErrors(c as unknown as AuthorizerConfig));
  if (c.tokenSource !== undefined) errors.push(...tokenSourceIssues(c.tokenSource));
  errors.push(...settingErrors(c));
  return errors;
}

/** The top-level fields of an authorizer configuration. */
const CONFIG_FIELDS: ReadonlySet<string> = new Set([
  'usage',
  'tokenBinding',
  'session',
  'version',
  'issuers',
  'routes',
  'tokenSource',
  'clockSkewSeconds',
  'responseMode',
  'jwksTimeoutMs',
  'verifiedCacheSize',
  'resultCacheTtlSeconds',
  'revocation',
  CONFIG_DIGEST_FIELD,
]);

/** Each top-level field that is not a configuration field. */
export function unknownFieldIssues(c: Readonly<Record<string, unknown>>): FieldIssue[] {
  return Object.keys(c)
    .filter((k) => !CONFIG_FIELDS.has(k))
    .map((k) => fieldIssue(k, 'is not a config field'));
}

/**
 * The route table and what the result cache's TTL demands of it: a table a cached policy can express
 * (route-model.ts), within IAM's policy size, no cached answer for cookie-borne tokens, and no cached
 * simple response for a route that binds a path parameter.
 */
function routeTableErrors(c: Readonly<Record<string, unknown>>): FieldIssue[] {
  const errors: FieldIssue[] = [];
  const ttl = c.resultCacheTtlSeconds;
  if (ttl !== undefined && !isIntIn(ttl, 0, 3600)) {
    errors.push(fieldIssue('resultCacheTtlSeconds', 'must be an integer from 0 to 3600'));
  }
  const routeErrors = routeIssues(
    c.routes,
    'routes',
    typeof ttl === 'number' ? { resultCacheTtlSeconds: ttl } : {},
  );
  errors.push(...routeErrors);
  if (routeErrors.length === 0) errors.push(...policySizeIssues(c.routes as RouteSpec[], 'routes'));
  // A cookie rides along with cross-site requests: whether one may change state is decided per request,
  // from its own Origin and Sec-Fetch-Site (common/csrf.ts), so no answer may be replayed to another.
  const cookieSource =
    (typeof c.tokenSource === 'object' &&
      c.tokenSource !== null &&
      (c.tokenSource as { cookie?: unknown }).cookie !== undefined) ||
    c.session !== undefined;
  if (typeof ttl === 'number' && ttl > 0 && cookieSource) {
    errors.push(
      fieldIssue(
        'resultCacheTtlSeconds',
        'must be 0 with tokenSource.cookie or session: the same-origin check of a ' +
          "cookie-borne request depends on that request's own headers",
      ),
    );
  }
  // A simple response is cached per token and route key (the constructs add `$context.routeKey` to the
  // identity sources), so it must not depend on a path parameter.
  if (c.responseMode === 'simple' && ttl !== 0 && routeErrors.length === 0) {
    const bound = (c.routes as RouteSpec[]).findIndex(
      (r) => r.auth === 'keycloak' && boundParams(r.requirement).length > 0,
    );
    if (bound >= 0) {
      errors.push(
        fieldIssue(
          'resultCacheTtlSeconds',
          `must be 0 with responseMode 'simple': routes[${bound}] binds a path parameter, ` +
            'and a cached simple answer would hold for every value of it',
        ),
      );
    }
  }
  return errors;
}

/**
 * The requirements of a configuration whose issuers and routes are valid, against those issuers: their
 * scopes (issuerScopeIssues) and, with step-up routes, the levels the issuers map and the cache TTL.
 */
function issuerScopeErrors(c: AuthorizerConfig): FieldIssue[] {
  const errors = issuerScopeIssues(c.issuers, c.routes);
  if (c.routes.some((r) => r.auth === 'keycloak' && r.requirement?.stepUp !== undefined)) {
    const levels = c.issuers.map((i) => ({ url: issuerUrl(i), acrLoaMap: acrLoaMapOf(i) }));
    errors.push(...issuesAbout('routes', validateStepUpRoutes(levels, c.routes, c.resultCacheTtlSeconds)));
  }
  return errors;
}

/** The plain settings: clock skew, response mode, JWKS timeout, verified-claims cache size. */
function settingErrors(c: Readonly<Record<string, unknown>>): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (c.clockSkewSeconds !== undefined && !isIntIn(c.clockSkewSeconds, 0, DEFAULTS.maxClockSkewSeconds)) {
    errors.push(
      fieldIssue('clockSkewSeconds', `must be an integer from 0 to ${DEFAULTS.maxClockSkewSeconds}`),
    );
  }
  if (c.responseMode !== undefined && c.responseMode !== 'iam' && c.responseMode !== 'simple') {
    errors.push(fieldIssue('responseMode', "must be 'iam' or 'simple'"));
  }
  if (c.jwksTimeoutMs !== undefined && !isIntIn(c.jwksTimeoutMs, 100, DEFAULTS.maxJwksTimeoutMs)) {
    errors.push(fieldIssue('jwksTimeoutMs', `must be an integer from 100 to ${DEFAULTS.maxJwksTimeoutMs}`));
  }
  if (c.verifiedCacheSize !== undefined && !isIntIn(c.verifiedCacheSize, 0, 100_000)) {
    errors.push(fieldIssue('verifiedCacheSize', 'must be an integer from 0 to 100000'));
  }
  const digest = c[CONFIG_DIGEST_FIELD];
  if (digest !== undefined && (typeof digest !== 'string' || !CONFIG_DIGEST_PATTERN.test(digest))) {
    errors.push(
      fieldIssue(CONFIG_DIGEST_FIELD, 'must be a SHA-256 digest in lower-case hex (64 characters)'),
    );
  }
  return errors;
}
