/**
 * The authorizer's runtime configuration: the one typed object the constructs produce and the Lambda
 * validates at cold start. Plain types and pure functions only.
 */
import type { RouteSpec } from './route-model';
import { CONFIG_DIGEST_FIELD, CONFIG_DIGEST_PATTERN, configContent, configDigest } from './config-digest';
import { COOKIE_NAME_RULE, DEFAULT_SESSION_COOKIE_NAME, isCookieName } from './cookie-names';
import {
  isHeaderName,
  isHttpsOrigin,
  isHttpsUrl,
  isHttpUrl,
  isLoopbackUrl,
  isNonEmptyList,
  isStringList,
} from './field-checks';
import { validateCognitoIssuer } from './cognito-issuer';
import { validateRoleClients } from './role-clients';
import type { FieldIssue } from './field-issue';
import { fieldIssue, issuesAbout } from './field-issue';
import type { AcrLoaMap } from './step-up';
import { validateAcrLoaMap } from './step-up-checks';
import type { RevocationConfig } from './revocation';
import type { validateRevocationBlock } from './revocation';
import type { UsageKeysConfig } from './usage-tiers';
import type { TokenBindingConfig } from './token-binding';
import type { validateTokenBinding } from './token-binding';

export const AUTHORIZER_CONFIG_VERSION = 1;
/** Environment variable carrying the JSON config (or `gz:` + base64 gzip of it, when large). */
export const AUTHORIZER_CONFIG_ENV = 'KEYGATE_CONFIG';

/** Signature algorithms the verifier supports (aws-jwt-verify has no PS256/384/512). */
export const SIGNATURE_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export interface KeycloakIssuerConfig {
  readonly kind: 'keycloak';
  /** Exact `iss`, e.g. `https://sso.example.com/realms/ml`. */
  readonly issuer: string;
  /** @default `${issuer}/protocol/openid-connect/certs` */
  readonly jwksUri?: string;
  /** Allowed `azp` values. At least one of allowedClients / allowedAudiences is required. */
  readonly allowedClients?: readonly string[];
  /** Allowed `aud` values (any one must be present). */
  readonly allowedAudiences?: readonly string[];
  /** Whether an `aud` of only `account` counts as an audience match. @default false */
  readonly allowAccountAudience?: boolean;
  /** @default ['RS256'] */
  readonly algorithms?: readonly SignatureAlgorithm[];
  /**
   * Clients whose roles (`resource_access.<client>.roles`) count as client roles of this issuer's tokens;
   * roles of any other client in the token are ignored.
   * @default - every client's roles when this is the only trusted issuer; none when several are trusted
   */
  readonly roleClients?: readonly string[];
  /**
   * Trust an `iss` that is a plain http URL: a Keycloak in development mode (`kc.sh start-dev`) names
   * itself `http://localhost:8080/realms/<realm>`. See INSECURE_HTTP_ISSUER. @default false
   */
  readonly insecureHttpIssuerForDevelopmentOnly?: boolean;
  /** The realm's ACR-to-LoA mapping (`acr.loa.map`), for step-up requirements. @default - none */
  readonly acrLoaMap?: AcrLoaMap;
}

/**
 * The opt-in that lets a Keycloak issuer be a plain http URL, named so that nobody sets it by accident.
 *
 * Risk: `iss` only names the issuer; it is the JWKS that decides which signatures count. What the opt-in
 * gives up is the guarantee that the issuer URL people and clients use is the server behind TLS: a
 * browser or client that signs in over http can have its credentials and tokens read or changed on the
 * network. So it is meant for a development Keycloak on this machine or a private test network, never a
 * realm real users sign in to. Keys are still fetched over https only: the JWKS URI (given, or derived
 * from the issuer) must be https, except that the authorizer's runtime configuration — which the local
 * stack also runs — may name an http JWKS URI on a loopback address, where only this machine answers.
 * The deployed authorizer's fetcher speaks https only, and synth refuses an http JWKS URI.
 */
export const INSECURE_HTTP_ISSUER = 'insecureHttpIssuerForDevelopmentOnly';

/** Where a configuration is used: the authorizer at run time (and the local stack), or a deployment. */
export type IssuerUrlTarget = 'runtime' | 'deployed';

/**
 * The issuer and JWKS URL rules of a Keycloak realm, shared by the authorizer configuration, the stage
 * configuration and TrustedIssuer.keycloakRealm, each problem with the field it is about. `issuerMessage` is
 * the caller's wording for a bad issuer; `issuerField` its name for the issuer URL.
 */
export function keycloakUrlIssues(
  i: { readonly issuer?: unknown; readonly jwksUri?: unknown; readonly [INSECURE_HTTP_ISSUER]?: unknown },
  at: string,
  target: IssuerUrlTarget,
  issuerMessage = 'must be an https URL without a trailing slash',
  issuerField = 'issuer',
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  const optIn = i[INSECURE_HTTP_ISSUER];
  if (optIn !== undefined && typeof optIn !== 'boolean') {
    errors.push(fieldIssue(`${at}.${INSECURE_HTTP_ISSUER}`, 'must be a boolean'));
  }
  const insecure = optIn === true;
  if (!isHttpsUrl(i.issuer) && !(insecure && isHttpUrl(i.issuer))) {
    errors.push(
      fieldIssue(
        `${at}.${issuerField}`,
        isHttpUrl(i.issuer)
          ? `${issuerMessage} (a development Keycloak's http issuer needs ${INSECURE_HTTP_ISSUER}: true)`
          : issuerMessage,
      ),
    );
    return errors;
  }
  const jwks = i.jwksUri ?? `${i.issuer as string}/protocol/openid-connect/certs`;
  const loopbackHttp = insecure && target === 'runtime' && isHttpUrl(jwks) && isLoopbackUrl(jwks);
  if (!isHttpsUrl(jwks) && !loopbackHttp) {
    const where = target === 'runtime' ? ' (or, for an http issuer, an http URL on a loopback address)' : '';
    errors.push(
      fieldIssue(
        `${at}.jwksUri`,
        i.jwksUri !== undefined
          ? `must be an https URL${insecure ? where : ''}`
          : `must be set to an https URL${where}: keys are fetched over https only, and the http issuer's certs endpoint is not`,
      ),
    );
  }
  return errors;
}

export interface CognitoIssuerConfig {
  readonly kind: 'cognito';
  /** e.g. `eu-west-1_AbCdEf123` */
  readonly userPoolId: string;
  readonly region: string;
  /** Allowed app client ids (`client_id` of the access token). */
  readonly allowedClients: readonly string[];
  /**
   * Clients whose `client:role` entries of the `keygate_roles` claim count as client roles.
   * @default - every client's when this is the only trusted issuer; none when several are trusted
   */
  readonly roleClients?: readonly string[];
}

export type IssuerConfig = KeycloakIssuerConfig | CognitoIssuerConfig;

/** Where the bearer token may be found besides the Authorization header. */
export interface TokenSourceConfig {
  /** @default 'Authorization' */
  readonly header?: string;
  /**
   * A cookie holding the token. A token read from it passes the same same-origin check as a browser
   * session on state-changing methods (common/csrf.ts).
   */
  readonly cookie?: string;
  /**
   * With `cookie`: https origins besides the API's own whose pages may send state-changing requests
   * carrying the token cookie. @default []
   */
  readonly allowedOrigins?: readonly string[];
  /** A query-string parameter holding the token. */
  readonly query?: string;
}

/** Browser sessions set by the sign-in routes (lambda/sign-in): the authorizer opens them. */
export interface SessionConfig {
  /** Secrets Manager id (ARN) of the cookie keyring; read through the Parameters and Secrets Lambda Extension. */
  readonly keysSecretId: string;
  /** Base name of the session cookie(s). @default DEFAULT_SESSION_COOKIE_NAME (common/cookie-names.ts) */
  readonly cookieName?: string;
  /** Header a same-origin script sends on state-changing requests. @default 'x-keygate-csrf' */
  readonly csrfHeader?: string;
  /** Origins besides the API's own whose pages may send state-changing cookie requests. @default [] */
  readonly allowedOrigins?: readonly string[];
  /** Route keys (`GET /me`) whose browser navigations without a session get a sign-in URL. @default [] */
  readonly browserRoutes?: readonly string[];
  /** Absolute URL browsers use for the API (custom domain). @default - from the event's domain name and stage */
  readonly publicBaseUrl?: string;
}

/** HTTP API payload 2.0 response form. REST and HTTP payload 1.0 always use IAM policies. */
export type ResponseMode = 'iam' | 'simple';

export interface AuthorizerConfig {
  readonly version: 1;
  readonly issuers: readonly IssuerConfig[];
  /** The API's routes; only `keycloak` routes are decided by the authorizer. */
  readonly routes: readonly RouteSpec[];
  readonly tokenSource?: TokenSourceConfig;
  /** Leeway for exp / nbf / iat. @default 30 (at most 60) */
  readonly clockSkewSeconds?: number;
  /** @default 'iam' */
  readonly responseMode?: ResponseMode;
  /** Per JWKS request. @default 2000 (at most 4000) */
  readonly jwksTimeoutMs?: number;
  /** Entries in the verified-claims LRU. @default 1000 */
  readonly verifiedCacheSize?: number;
  /** Accept browser session cookies besides bearer tokens. @default - bearer tokens only */
  readonly session?: SessionConfig;
  /**
   * API Gateway's authorizer result cache TTL, as the constructs configure it. Above 0 a response is
   * replayed for other requests of the caller, so the authorizer answers with a policy right for every
   * route, and the route table must be one such a policy can express; at 0 it answers for the exact
   * request ARN.
   * @default - unknown: answered and checked as if cached
   */
  readonly resultCacheTtlSeconds?: number;
  /** Refuse tokens of logged-out sessions (common/revocation.ts). @default - no revocation check */
  readonly revocation?: RevocationConfig;
  /** Usage tiers of a REST API: the key each caller is answered with (common/usage-tiers.ts). @default - none */
  readonly usage?: UsageKeysConfig;
  /** Sender-constrained tokens (DPoP, mTLS-bound) per issuer or route (common/token-binding.ts). */
  readonly tokenBinding?: TokenBindingConfig;
  /**
   * SHA-256 of the configuration's content as the construct checked it at synth (common/config-digest.ts):
   * when it matches, the checks of that content are not run again at cold start. Not a signature.
   * @default - none: every check runs at cold start
   */
  readonly configDigest?: string;
}

export const DEFAULTS = {
  header: 'Authorization',
  clockSkewSeconds: 30,
  maxClockSkewSeconds: 60,
  responseMode: 'iam' as ResponseMode,
  jwksTimeoutMs: 2000,
  maxJwksTimeoutMs: 4000,
  verifiedCacheSize: 1000,
  algorithms: ['RS256'] as readonly SignatureAlgorithm[],
  /** An unknown kid triggers at most one JWKS refetch per issuer per this many ms. */
  jwksRefetchIntervalMs: 10_000,
} as const;

export function cognitoIssuerUrl(c: Pick<CognitoIssuerConfig, 'region' | 'userPoolId'>): string {
  return `https://cognito-idp.${c.region}.amazonaws.com/${c.userPoolId}`;
}

/** The issuer's ACR-to-LoA mapping (Keycloak issuers only). */
export function acrLoaMapOf(c: IssuerConfig): AcrLoaMap | undefined {
  return c.kind === 'keycloak' ? c.acrLoaMap : undefined;
}

export function issuerUrl(c: IssuerConfig): string {
  return c.kind === 'keycloak' ? c.issuer : cognitoIssuerUrl(c);
}

/** Keycloak's realm JWKS path (Keycloak >= 17): `<issuer>/protocol/openid-connect/certs`. */
export function keycloakJwksUri(c: KeycloakIssuerConfig): string {
  return c.jwksUri ?? `${c.issuer}/protocol/openid-connect/certs`;
}

/** The configuration, or every problem: `issues` name the field each is about, `errors` are their messages. */
export type ConfigResult =
  { ok: true; config: AuthorizerConfig } | { ok: false; errors: string[]; issues: FieldIssue[] };

/** The checks of a `session` block (given the config's routes and tokenSource): each problem by its field. */
export type SessionBlockValidator = (session: unknown, routes: unknown, tokenSource: unknown) => FieldIssue[];

/**
 * The checks of the blocks whose code the authorizer keeps in modules of its own (session, revocation,
 * usage, tokenBinding), each run only when its block is present.
 */
export interface BlockValidators {
  readonly session: SessionBlockValidator;
  readonly revocation: typeof validateRevocationBlock;
  readonly usage: (input: unknown) => FieldIssue[];
  readonly tokenBinding: typeof validateTokenBinding;
}
/**
 * The `issuers` list: each entry's checks, then (when the configuration is clean so far) no issuer twice.
 * @param clean no error was found before the list
 * @param entryIssues the checks of one entry: issuerIssues, or the Cognito checks alone for a
 *   configuration the construct checked (authorizer-config-validate.ts)
 */
export function issuerListErrors(
  issuers: unknown,
  clean: boolean,
  entryIssues: (issuer: unknown, at: string) => FieldIssue[],
): FieldIssue[] {
  if (!Array.isArray(issuers) || issuers.length === 0)
    return [fieldIssue('issuers', 'must be a non-empty array')];
  const errors: FieldIssue[] = [];
  const seen = new Set<string>();
  issuers.forEach((i: unknown, n) => {
    errors.push(...entryIssues(i, `issuers[${n}]`));
    if (typeof i === 'object' && i !== null && clean && errors.length === 0) {
      const url = issuerUrl(i as IssuerConfig);
      if (seen.has(url)) errors.push(fieldIssue(`issuers[${n}]`, `: issuer ${url} is listed twice`));
      seen.add(url);
    }
  });
  return errors;
}

/** The checked content of a configuration (common/config-digest.ts), valid or not. */
export function authorizerConfigContent(config: unknown): string {
  return configContent(config, (i) => issuerUrl(i as IssuerConfig));
}

/** The digest of a configuration's checked content (common/config-digest.ts), valid or not. */
export function authorizerConfigDigest(config: unknown): string {
  return configDigest(config, (i) => issuerUrl(i as IssuerConfig));
}

/**
 * Whether the configuration carries the digest of its own checked content: the construct ran every check
 * on that content at synth (common/config-digest.ts).
 */
export function configChecked(c: Readonly<Record<string, unknown>>): boolean {
  const digest = c[CONFIG_DIGEST_FIELD];
  if (typeof digest !== 'string' || !CONFIG_DIGEST_PATTERN.test(digest)) return false;
  return digest === authorizerConfigDigest(c);
}

/**
 * Whose client roles count for tokens of this issuer: undefined for every client (one trusted issuer and no
 * `roleClients`), else the set of client ids.
 */
export function roleClientsOf(issuer: IssuerConfig, issuerCount: number): ReadonlySet<string> | undefined {
  if (issuer.roleClients !== undefined) return new Set(issuer.roleClients);
  return issuerCount > 1 ? new Set() : undefined;
}

/**
 * Requirements against the trusted issuers: with several issuers every keycloak route names the issuers
 * whose tokens may meet it (otherwise a second realm's roles of the same names would meet the first's
 * requirements); a named issuer must be trusted; a client role must be one some issuer in scope counts.
 * Each problem is about the route (or its requirement field) it names.
 */
export function issuerScopeIssues(
  issuers: readonly IssuerConfig[],
  routes: readonly RouteSpec[],
  field = 'routes',
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  const byUrl = new Map(issuers.map((i) => [issuerUrl(i), i]));
  routes.forEach((route, n) => {
    if (route.auth !== 'keycloak') return;
    const path = `${field}[${n}]`;
    const at = `${path} (${route.method} ${route.path})`;
    const scope = route.requirement?.issuers;
    if (scope === undefined) {
      if (issuers.length > 1) {
        errors.push({
          path: `${path}.requirement.issuers`,
          message:
            `${at}: several issuers are trusted, so the requirement must name the issuers whose tokens may meet it: ` +
            `set requirement.issuers, e.g. ['${issuerUrl(issuers[0])}']`,
        });
      }
    } else {
      for (const url of scope) {
        if (!byUrl.has(url)) {
          errors.push({
            path: `${path}.requirement.issuers[${scope.indexOf(url)}]`,
            message: `${at}.requirement.issuers: '${url}' is not a trusted issuer (${[...byUrl.keys()].join(', ')})`,
          });
        }
      }
    }
    const inScope = (scope ?? [...byUrl.keys()]).flatMap((u) => byUrl.get(u) ?? []);
    for (const mode of ['allOf', 'anyOf'] as const) {
      (route.requirement?.[mode]?.clientRoles ?? []).forEach((entry, j) => {
        const client = entry.slice(0, entry.indexOf(':'));
        const counted = inScope.some((i) => {
          const clients = roleClientsOf(i, issuers.length);
          return clients === undefined || clients.has(client);
        });
        if (!counted && inScope.length > 0) {
          errors.push({
            path: `${path}.requirement.${mode}.clientRoles[${j}]`,
            message:
              `${at}.requirement.${mode}.clientRoles: '${entry}' can never be met: no issuer in scope counts roles ` +
              `of client '${client}'; add it to that issuer's roleClients`,
          });
        }
      });
    }
  });
  return errors;
}

/** The checks of one `issuers` entry, each problem with the field it is about (under `at`). */
export function issuerIssues(input: unknown, at: string): FieldIssue[] {
  if (typeof input !== 'object' || input === null) return [fieldIssue(at, 'must be an object')];
  const i = input as Record<string, unknown>;
  const errors: FieldIssue[] = [];
  if (i.kind === 'keycloak') {
    errors.push(...keycloakUrlIssues(i, at, 'runtime'));
    const clients = i.allowedClients;
    const auds = i.allowedAudiences;
    if (clients !== undefined && !isStringList(clients))
      errors.push(fieldIssue(`${at}.allowedClients`, 'must be a list of strings'));
    if (auds !== undefined && !isStringList(auds))
      errors.push(fieldIssue(`${at}.allowedAudiences`, 'must be a list of strings'));
    if (!isNonEmptyList(clients) && !isNonEmptyList(auds)) {
      errors.push(
        fieldIssue(
          at,
          ': set allowedClients (azp) and/or allowedAudiences (aud); a realm alone is too broad',
        ),
      );
    }
    if (i.allowAccountAudience !== undefined && typeof i.allowAccountAudience !== 'boolean') {
      errors.push(fieldIssue(`${at}.allowAccountAudience`, 'must be a boolean'));
    }
    if (i.algorithms !== undefined) {
      if (
        !Array.isArray(i.algorithms) ||
        i.algorithms.length === 0 ||
        i.algorithms.some((a) => !SIGNATURE_ALGORITHMS.includes(a as SignatureAlgorithm))
      ) {
        errors.push(
          fieldIssue(`${at}.algorithms`, `must be a non-empty list from ${SIGNATURE_ALGORITHMS.join(', ')}`),
        );
      }
    }
    errors.push(...issuesAbout(`${at}.roleClients`, validateRoleClients(i.roleClients, at)));
    if (i.acrLoaMap !== undefined)
      errors.push(...issuesAbout(`${at}.acrLoaMap`, validateAcrLoaMap(i.acrLoaMap, `${at}.acrLoaMap`)));
    const known = [
      'acrLoaMap',
      'kind',
      'issuer',
      'jwksUri',
      'allowedClients',
      'allowedAudiences',
      'allowAccountAudience',
      'algorithms',
      'roleClients',
      INSECURE_HTTP_ISSUER,
    ];
    for (const k of Object.keys(i))
      if (!known.includes(k)) errors.push(fieldIssue(`${at}.${k}`, 'is not a keycloak issuer field'));
  } else if (i.kind === 'cognito') {
    // With the Cognito verifier, in the authorizer's cognito module (loaded only for a cognito issuer).
    errors.push(...validateCognitoIssuer(i, at));
  } else {
    errors.push(fieldIssue(`${at}.kind`, `must be 'keycloak' or 'cognito'`));
  }
  return errors;
}

/** The name of a token cookie or query parameter (`tokenSource.cookie`, `tokenSource.query`). */
export const COOKIE_OR_QUERY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** The checks of the `tokenSource` block, each problem by its field (`tokenSource.cookie`). */
export function tokenSourceIssues(input: unknown): FieldIssue[] {
  if (typeof input !== 'object' || input === null) return [fieldIssue('tokenSource', 'must be an object')];
  const t = input as Record<string, unknown>;
  const errors: FieldIssue[] = [];
  if (t.header !== undefined && !isHeaderName(t.header)) {
    errors.push(fieldIssue('tokenSource.header', 'must be an HTTP header name'));
  }
  if (t.cookie !== undefined && (typeof t.cookie !== 'string' || !COOKIE_OR_QUERY_NAME.test(t.cookie))) {
    errors.push(fieldIssue('tokenSource.cookie', 'must be a cookie name of letters, digits, _ . -'));
  }
  if (t.query !== undefined && (typeof t.query !== 'string' || !COOKIE_OR_QUERY_NAME.test(t.query))) {
    errors.push(fieldIssue('tokenSource.query', 'must be a parameter name of letters, digits, _ . -'));
  }
  if (t.allowedOrigins !== undefined) {
    if (!Array.isArray(t.allowedOrigins) || !t.allowedOrigins.every(isHttpsOrigin)) {
      errors.push(
        fieldIssue(
          'tokenSource.allowedOrigins',
          'must be a list of https origins (scheme, host and optional port only)',
        ),
      );
    } else if (t.cookie === undefined) {
      errors.push(
        fieldIssue(
          'tokenSource.allowedOrigins',
          'needs tokenSource.cookie (it applies to cookie-borne tokens)',
        ),
      );
    }
  }
  for (const k of Object.keys(t))
    if (!['header', 'cookie', 'query', 'allowedOrigins'].includes(k))
      errors.push(fieldIssue(`tokenSource.${k}`, 'is not a field'));
  return errors;
}

/** The fields of a `session` block. */
const SESSION_FIELDS = [
  'keysSecretId',
  'cookieName',
  'csrfHeader',
  'allowedOrigins',
  'browserRoutes',
  'publicBaseUrl',
] as const;

/** The checks of the `session` block, each problem by its field (`session.cookieName`). */
export function validateSessionBlock(input: unknown, routes: unknown, tokenSource: unknown): FieldIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [fieldIssue('session', 'must be an object')];
  const s = input as Record<string, unknown>;
  const errors: FieldIssue[] = [];
  if (typeof s.keysSecretId !== 'string' || s.keysSecretId.length === 0 || s.keysSecretId.length > 2048) {
    errors.push(fieldIssue('session.keysSecretId', 'must be a non-empty string'));
  }
  if (s.cookieName !== undefined && !isCookieName(s.cookieName)) {
    errors.push(fieldIssue('session.cookieName', `must be ${COOKIE_NAME_RULE}`));
  }
  const cookie = (tokenSource as { cookie?: unknown } | undefined)?.cookie;
  if (cookie !== undefined && cookie === (s.cookieName ?? DEFAULT_SESSION_COOKIE_NAME)) {
    errors.push(fieldIssue('session.cookieName', 'must differ from tokenSource.cookie'));
  }
  if (s.csrfHeader !== undefined && !isHeaderName(s.csrfHeader)) {
    errors.push(fieldIssue('session.csrfHeader', 'must be an HTTP header name'));
  }
  if (
    s.allowedOrigins !== undefined &&
    (!Array.isArray(s.allowedOrigins) || !s.allowedOrigins.every(isHttpsOrigin))
  ) {
    errors.push(
      fieldIssue(
        'session.allowedOrigins',
        'must be a list of https origins (scheme, host and optional port only)',
      ),
    );
  }
  if (s.browserRoutes !== undefined) errors.push(...browserRouteIssues(s.browserRoutes, routes));
  if (s.publicBaseUrl !== undefined && !isHttpsUrl(s.publicBaseUrl)) {
    errors.push(fieldIssue('session.publicBaseUrl', 'must be an https URL without a trailing slash'));
  }
  for (const k of Object.keys(s))
    if (!(SESSION_FIELDS as readonly string[]).includes(k))
      errors.push(fieldIssue(`session.${k}`, 'is not a field'));
  return errors;
}

/** `session.browserRoutes`: keys of GET keycloak routes of the table, each entry by its index. */
function browserRouteIssues(browserRoutes: unknown, routes: unknown): FieldIssue[] {
  if (!Array.isArray(browserRoutes) || !browserRoutes.every((k) => typeof k === 'string'))
    return [fieldIssue('session.browserRoutes', 'must be a list of route keys')];
  const keys = new Set(
    Array.isArray(routes)
      ? (routes as { method?: unknown; path?: unknown; auth?: unknown }[])
          .filter((r) => r && r.auth === 'keycloak' && r.method === 'GET')
          .map((r) => `GET ${String(r.path)}`)
      : [],
  );
  return (browserRoutes as string[]).flatMap((k, n) =>
    keys.has(k)
      ? []
      : [
          {
            path: `session.browserRoutes[${n}]`,
            message: `session.browserRoutes: '${k}' is not a GET keycloak route of routes`,
          },
        ],
  );
}
