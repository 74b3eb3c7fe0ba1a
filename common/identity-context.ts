/**
 * What the authorizer hands to backends: the authorizer context keys (strings only — API Gateway turns
 * arrays and objects into a 500), the request headers the HTTP API maps them to, and token kinds.
 * Shared by the authorizer, the constructs (parameter mapping), the backends and the local gateway.
 */

export const TOKEN_KINDS = ['keycloak-user', 'keycloak-service-account', 'cognito'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** Authorizer context keys. Values are strings; lists are space-separated. */
export const CONTEXT_KEYS = {
  sub: 'sub',
  username: 'username',
  clientId: 'clientId',
  issuer: 'issuer',
  tokenKind: 'tokenKind',
  /** Realm roles and `client:role` client roles, space-separated. */
  roles: 'roles',
  /** Realm roles only (a realm role may itself contain `:`). */
  realmRoles: 'realmRoles',
  /** Client roles only, each `client:role`. */
  clientRoles: 'clientRoles',
  scopes: 'scopes',
  groups: 'groups',
} as const;
export type ContextKey = keyof typeof CONTEXT_KEYS;

/** Request headers an HTTP API sets (overwriting any the client sent) from the authorizer context. */
export const IDENTITY_HEADERS: Readonly<Record<ContextKey, string>> = {
  sub: 'x-keygate-sub',
  username: 'x-keygate-username',
  clientId: 'x-keygate-client-id',
  issuer: 'x-keygate-issuer',
  tokenKind: 'x-keygate-token-kind',
  roles: 'x-keygate-roles',
  realmRoles: 'x-keygate-realm-roles',
  clientRoles: 'x-keygate-client-roles',
  scopes: 'x-keygate-scopes',
  groups: 'x-keygate-groups',
};

/** Each context value is cut to this many characters (at a list-entry boundary for lists). */
export const MAX_CONTEXT_VALUE_LENGTH = 1024;

/**
 * What a context value holds for "none" (an empty list, a missing scalar). Never the empty string: an HTTP
 * API `overwrite:header` mapping of an empty value might leave a client-sent `x-keygate-*` header in place.
 * Not whitespace either: HTTP trims it from a header value (RFC 9110 section 5.5).
 */
export const EMPTY_CONTEXT_VALUE = '-';

/** Claim the Cognito pre-token-generation trigger writes Keycloak roles into (access token). */
export const COGNITO_ROLES_CLAIM = 'keygate_roles';
/** Cognito custom attribute the Keycloak identity provider maps roles into. */
export const COGNITO_ROLES_ATTRIBUTE = 'custom:kc_roles';

const PRINTABLE = /^[\x21-\x7e]+$/;

/**
 * Joins list entries with single spaces; drops entries that are not printable ASCII without spaces, and
 * the entry `-`. An empty list is EMPTY_CONTEXT_VALUE.
 */
export function joinList(values: readonly string[], max = MAX_CONTEXT_VALUE_LENGTH): string {
  let out = '';
  for (const v of values) {
    if (typeof v !== 'string' || v === EMPTY_CONTEXT_VALUE || !PRINTABLE.test(v)) continue;
    const next = out ? `${out} ${v}` : v;
    if (next.length > max) break;
    out = next;
  }
  return out || EMPTY_CONTEXT_VALUE;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f]/g;

/** Cuts a scalar context value; control characters are removed. */
export function boundScalar(value: string | undefined, max = MAX_CONTEXT_VALUE_LENGTH): string {
  if (typeof value !== 'string') return '';
  // Testing first: most values have nothing to remove, and then no new string is made.
  const clean = CONTROL.test(value) ? value.replace(CONTROLS, '') : value;
  return clean.length > max ? clean.slice(0, max) : clean;
}

/** Context scalar: boundScalar, and EMPTY_CONTEXT_VALUE when nothing is left. */
export function contextScalar(value: string | undefined, max = MAX_CONTEXT_VALUE_LENGTH): string {
  return boundScalar(value, max) || EMPTY_CONTEXT_VALUE;
}

/** The entries of a context list (EMPTY_CONTEXT_VALUE and '' are the empty list). */
export function splitList(value: string | undefined): string[] {
  return typeof value === 'string' && value.length > 0
    ? value.split(' ').filter((v) => v.length > 0 && v !== EMPTY_CONTEXT_VALUE)
    : [];
}
