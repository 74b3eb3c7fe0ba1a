/**
 * Sender-constrained tokens: the `tokenBinding` block of the authorizer configuration, its checks, and
 * the rule that decides which binding a request needs. Plain types and pure functions only, shared by the
 * constructs (lib/authorizer/token-binding.ts), the authorizer (lambda/authorizer/token-binding.ts) and the
 * local gateway.
 *
 * - DPoP (RFC 9449): the access token carries `cnf.jkt`, the RFC 7638 thumbprint of a key the client holds,
 *   and every request carries a `DPoP` proof signed with that key for this method and URL, used once.
 * - Certificate-bound tokens (RFC 8705): the token carries `cnf["x5t#S256"]`, the SHA-256 thumbprint of the
 *   client certificate, and the request arrives over mutual TLS with that certificate, which API Gateway
 *   hands the authorizer in the request context.
 */
import type { RouteSpec } from './route-model';
import { routeKey } from './route-model';
import { STEP_UP_CONTEXT_KEY } from './step-up';
import type { FieldIssue } from './field-issue';
import { fieldIssue, unknownFieldIssues } from './field-issue';
import {
  isHttpUrl,
  isHttpsUrl,
  isIntIn,
  isLoopbackUrl,
  isNonEmptyString,
  isStringList,
} from './field-checks';

/**
 * Proof algorithms a client may sign with (asymmetric only: RFC 9449 section 4.2 forbids `none` and MACs).
 * jose verifies them all on Node.js 22.
 */
export const DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const;
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];

export const DPOP_DEFAULTS = {
  /** What Keycloak accepts by default for DPoP proofs, and what common clients sign with. */
  algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'] as readonly DpopAlgorithm[],
  /** A proof older than this (by its `iat`) is stale; its jti is remembered this long plus the skew. */
  proofMaxAgeSeconds: 60,
  maxProofMaxAgeSeconds: 300,
} as const;

/** Attribute names of the DPoP replay table: the construct creates it, the authorizer writes it. */
export const REPLAY_TABLE = { partitionKey: 'pk', ttlAttribute: 'expiresAt' } as const;

/** The request header carrying the proof (RFC 9449 section 4.1). */
export const DPOP_HEADER = 'dpop';

/**
 * The authorizer-context key of a refused DPoP request's `WWW-Authenticate: DPoP` challenge, which the
 * REST ACCESS_DENIED gateway response sends (lambda/authorizer/dpop-challenge.ts). It is step-up's key: a
 * gateway response header maps from one source, and one answer never carries both challenges (a DPoP
 * refusal ends the request before the route decision that a step-up challenge comes from).
 */
export const DPOP_CHALLENGE_CONTEXT_KEY = STEP_UP_CONTEXT_KEY;

/** Who must present a bound token: every token of the listed issuers, and every token on the listed routes. */
export interface BindingScope {
  /** Issuer URLs (`iss`) all of whose tokens must be bound. @default [] */
  readonly issuers?: readonly string[];
  /** Route keys (`POST /models/{modelId}/invoke`) that accept bound tokens only. @default [] */
  readonly routes?: readonly string[];
}

export interface DpopBindingConfig extends BindingScope {
  /** Proof signature algorithms accepted. @default DPOP_DEFAULTS.algorithms */
  readonly algorithms?: readonly DpopAlgorithm[];
  /** Oldest proof accepted, in seconds from its `iat`. @default 60 (at most 300) */
  readonly proofMaxAgeSeconds?: number;
  /**
   * DynamoDB table remembering each proof's `jti` until it is too old to be accepted anyway.
   * @default - in memory, per process (the local gateway and tests only: a deployed authorizer runs many
   *   containers, so the constructs always set a table)
   */
  readonly replayTableName?: string;
  /**
   * The URL clients call (custom domain with base path), without a trailing slash: `htu` is compared with
   * it plus the route's path. @default - `https://` + the request's domain name (+ `/<stage>` on an
   *   execute-api domain with a named stage)
   */
  readonly publicBaseUrl?: string;
}

/** mTLS binding needs nothing besides its scope: API Gateway has already verified the certificate chain. */
export type MtlsBindingConfig = BindingScope;

export interface TokenBindingConfig {
  readonly dpop?: DpopBindingConfig;
  readonly mtls?: MtlsBindingConfig;
}

/** The `cnf` (confirmation) members Keygate reads from a verified token (RFC 7800 section 3.1). */
export interface TokenConfirmation {
  /** RFC 9449 section 6.1: base64url SHA-256 JWK thumbprint of the DPoP key. */
  readonly jkt?: string;
  /** RFC 8705 section 3.1: base64url SHA-256 of the DER client certificate. */
  readonly x5tS256?: string;
}

/**
 * Keycloak's `typ` of a DPoP-bound access token (26.x): `DPoP` instead of `Bearer`, always with `cnf.jkt`.
 * It is an access token like a Bearer one; its binding is then checked, or the token refused.
 */
export const KEYCLOAK_DPOP_TOKEN_TYPE = 'DPoP';

/** A Keycloak DPoP access token: typ `DPoP` with a `cnf.jkt` (a typ `DPoP` without a binding is not one). */
export function isKeycloakDpopAccessToken(claims: Readonly<Record<string, unknown>>): boolean {
  return claims.typ === KEYCLOAK_DPOP_TOKEN_TYPE && confirmationOf(claims)?.jkt !== undefined;
}

/** A base64url SHA-256 digest: 43 characters, no padding. */
const SHA256_B64URL = /^[A-Za-z0-9_-]{43}$/;

/**
 * The confirmation members of a token's claims, or undefined when it has none. A `cnf` member of the wrong
 * shape is kept as an impossible value ('') so a token cannot shed its binding by malforming it.
 */
export function confirmationOf(claims: Readonly<Record<string, unknown>>): TokenConfirmation | undefined {
  const cnf = claims.cnf;
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) return { jkt: '', x5tS256: '' };
  const c = cnf as Record<string, unknown>;
  const member = (v: unknown): string | undefined =>
    v === undefined ? undefined : typeof v === 'string' && SHA256_B64URL.test(v) ? v : '';
  const jkt = member(c.jkt);
  const x5tS256 = member(c['x5t#S256']);
  if (jkt === undefined && x5tS256 === undefined) return undefined;
  return { ...(jkt !== undefined ? { jkt } : {}), ...(x5tS256 !== undefined ? { x5tS256 } : {}) };
}

export interface BindingNeed {
  readonly dpop: boolean;
  readonly mtls: boolean;
}

/**
 * Which bindings a request must prove: those its route or its token's issuer requires, and those the token
 * itself declares in `cnf` when the binding is configured at all (a bound token is never accepted as a
 * plain bearer token where the authorizer can check its binding: RFC 9449 section 7.2, RFC 8705 section 3).
 */
export function bindingNeed(
  config: TokenBindingConfig | undefined,
  issuer: string,
  route: string | undefined,
  cnf: TokenConfirmation | undefined,
): BindingNeed {
  const needs = (scope: BindingScope | undefined, declared: boolean): boolean =>
    scope !== undefined &&
    (declared ||
      (scope.issuers ?? []).includes(issuer) ||
      (route !== undefined && (scope.routes ?? []).includes(route)));
  return {
    dpop: needs(config?.dpop, cnf?.jkt !== undefined),
    mtls: needs(config?.mtls, cnf?.x5tS256 !== undefined),
  };
}

/** The route keys a binding scope names, for messages and the synth-time annotation. */
export function boundRouteKeys(config: TokenBindingConfig | undefined): string[] {
  return [...new Set([...(config?.dpop?.routes ?? []), ...(config?.mtls?.routes ?? [])])];
}

/**
 * Checks a `tokenBinding` block against the config's routes, issuer URLs and result cache TTL. Each
 * problem names its field (`tokenBinding.dpop.routes[0]`).
 */
export function validateTokenBinding(
  input: unknown,
  context: {
    readonly routes: readonly RouteSpec[];
    readonly issuers: readonly string[];
    readonly resultCacheTtlSeconds?: number;
  },
  field = 'tokenBinding',
): FieldIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [fieldIssue(field, 'must be an object with dpop and/or mtls')];
  }
  const b = input as Record<string, unknown>;
  const errors = unknownFieldIssues(b, ['dpop', 'mtls'], field);
  if (b.dpop === undefined && b.mtls === undefined) errors.push(fieldIssue(field, 'must set dpop or mtls'));
  const keys = new Set(context.routes.filter((r) => r.auth === 'keycloak').map((r) => routeKey(r)));
  for (const kind of ['dpop', 'mtls'] as const) {
    if (b[kind] !== undefined)
      errors.push(...validateScope(b[kind], kind, `${field}.${kind}`, keys, context));
  }
  // API Gateway's result cache answers a repeated token without calling the authorizer. A DPoP proof is
  // single-use and names one request, so a cached allow would accept a replayed or missing proof; and the
  // cache key (the token header) does not change with the client certificate, so a cached allow would
  // serve a stolen certificate-bound token to any client. The cache is per authorizer, so it is off.
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html
  if (errors.length === 0 && context.resultCacheTtlSeconds !== 0) {
    const where = boundRouteKeys(b as TokenBindingConfig);
    errors.push(
      fieldIssue(
        'resultCacheTtlSeconds',
        `must be 0 with ${field}: a bound token is proven per request (DPoP proof, client ` +
          `certificate), which a cached answer would skip${where.length ? ` (routes ${where.join(', ')})` : ''}`,
      ),
    );
  }
  return errors;
}

/** The fields of each kind of binding scope. */
const SCOPE_FIELDS = {
  dpop: ['issuers', 'routes', 'algorithms', 'proofMaxAgeSeconds', 'replayTableName', 'publicBaseUrl'],
  mtls: ['issuers', 'routes'],
} as const;

function validateScope(
  input: unknown,
  kind: 'dpop' | 'mtls',
  at: string,
  routeKeys: ReadonlySet<string>,
  context: { readonly issuers: readonly string[] },
): FieldIssue[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return [fieldIssue(at, 'must be an object')];
  const s = input as Record<string, unknown>;
  const errors = unknownFieldIssues(s, SCOPE_FIELDS[kind], at);
  errors.push(...scopeListIssues(s, at, routeKeys, context));
  if (kind === 'dpop') errors.push(...dpopIssues(s, at));
  return errors;
}

/** A scope's `issuers` (trusted issuer URLs) and `routes` (keycloak route keys), each entry by its index. */
function scopeListIssues(
  s: Readonly<Record<string, unknown>>,
  at: string,
  routeKeys: ReadonlySet<string>,
  context: { readonly issuers: readonly string[] },
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (s.issuers !== undefined) {
    if (!isStringList(s.issuers)) errors.push(fieldIssue(`${at}.issuers`, 'must be a list of issuer URLs'));
    else
      s.issuers.forEach((i, n) => {
        if (!context.issuers.includes(i))
          errors.push({
            path: `${at}.issuers[${n}]`,
            message: `${at}.issuers: '${i}' is not a trusted issuer (${context.issuers.join(', ')})`,
          });
      });
  }
  if (s.routes !== undefined) {
    if (!isStringList(s.routes)) errors.push(fieldIssue(`${at}.routes`, 'must be a list of route keys'));
    else
      s.routes.forEach((r, n) => {
        if (!routeKeys.has(r))
          errors.push({
            path: `${at}.routes[${n}]`,
            message: `${at}.routes: '${r}' is not a keycloak route of the table (e.g. 'GET /me')`,
          });
      });
  }
  return errors;
}

/** The DPoP scope's own settings: algorithms, proof age, replay table, public URL. */
function dpopIssues(s: Readonly<Record<string, unknown>>, at: string): FieldIssue[] {
  const errors: FieldIssue[] = [];
  if (s.algorithms !== undefined) {
    const list = s.algorithms;
    if (
      !isStringList(list) ||
      list.length === 0 ||
      !list.every((a) => (DPOP_ALGORITHMS as readonly string[]).includes(a))
    ) {
      errors.push(
        fieldIssue(`${at}.algorithms`, `must be a non-empty list of ${DPOP_ALGORITHMS.join(', ')}`),
      );
    }
  }
  if (
    s.proofMaxAgeSeconds !== undefined &&
    !isIntIn(s.proofMaxAgeSeconds, 1, DPOP_DEFAULTS.maxProofMaxAgeSeconds)
  ) {
    errors.push(
      fieldIssue(
        `${at}.proofMaxAgeSeconds`,
        `must be an integer from 1 to ${DPOP_DEFAULTS.maxProofMaxAgeSeconds}`,
      ),
    );
  }
  if (s.replayTableName !== undefined && !isTableName(s.replayTableName)) {
    errors.push(
      fieldIssue(`${at}.replayTableName`, 'must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .)'),
    );
  }
  // http only on a loopback address: the local gateway serves plain http on 127.0.0.1.
  const base = s.publicBaseUrl;
  if (base !== undefined && !isHttpsUrl(base) && !(isHttpUrl(base) && isLoopbackUrl(base))) {
    errors.push(
      fieldIssue(
        `${at}.publicBaseUrl`,
        'must be an https URL (http on a loopback address) without a trailing slash',
      ),
    );
  }
  return errors;
}

function isTableName(v: unknown): boolean {
  return isNonEmptyString(v, 255) && /^[A-Za-z0-9_.-]{3,255}$/.test(v);
}
