/**
 * The sign-in function's configuration (env `KEYGATE_SIGN_IN_CONFIG`, JSON). The construct writes it; the
 * function validates it at cold start. Secrets are referenced by id, never inlined.
 */
import {
  COOKIE_NAME_RULE,
  DEFAULT_SESSION_COOKIE_NAME,
  DEFAULT_STATE_COOKIE_NAME,
  isCookieName,
  needsSecureCookie,
} from '../../common/cookie-names';
import { SIGN_IN_PATHS } from '../../common/sign-in-routes';
import { isHeaderName, isHttpsOrigin, isHttpsUrl, isNonEmptyString } from '../../common/field-checks';

export { SIGN_IN_CONFIG_ENV } from '../../common/function-env';

export interface SignInConfig {
  readonly version: 1;
  /** Keycloak realm issuer, e.g. `https://sso.example.com/realms/ml`. */
  readonly issuer: string;
  /** The OpenID Connect client people sign in with. */
  readonly clientId: string;
  /** Secrets Manager id of the client secret (confidential client). @default - public client with PKCE only */
  readonly clientSecretId?: string;
  /** JSON field of the client secret holding the value. @default - the whole SecretString */
  readonly clientSecretField?: string;
  /** Secrets Manager id of the cookie keyring (see session-keys.ts). */
  readonly keysSecretId: string;
  /** Endpoint overrides (e.g. an internal hostname). @default - Keycloak's paths under the issuer */
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
  readonly endSessionEndpoint?: string;
  readonly jwksUri?: string;
  /** @default ['openid'] */
  readonly scopes?: readonly string[];
  /** Base name of the session cookie(s). @default '__Host-keygate_session' */
  readonly cookieName?: string;
  /** @default '__Host-keygate_login' */
  readonly stateCookieName?: string;
  /** Absolute URL of the API as browsers see it, e.g. a custom domain. @default - from the request */
  readonly publicBaseUrl?: string;
  /** Path (relative to the API) to land on after logout. @default '/' */
  readonly postLogoutPath?: string;
  /** https origins besides the API's own whose pages may POST /auth/logout and /auth/refresh. @default [] */
  readonly allowedOrigins?: readonly string[];
  /** Header a same-origin script may send on those POSTs instead of Origin. @default 'x-keygate-csrf' */
  readonly csrfHeader?: string;
  /** Upper bound of a session, whatever the refresh token allows. @default 28800 (8 h) */
  readonly maxSessionSeconds?: number;
  /**
   * Cookies carry `Secure`. Only the plain-http local gateway turns this off, with cookie names that have
   * no `__Host-` / `__Secure-` prefix (a browser drops such a cookie set without `Secure`). @default true
   */
  readonly secureCookies?: boolean;
}

export const SIGN_IN_DEFAULTS = {
  cookieName: DEFAULT_SESSION_COOKIE_NAME,
  stateCookieName: DEFAULT_STATE_COOKIE_NAME,
  scopes: ['openid'] as readonly string[],
  postLogoutPath: '/',
  maxSessionSeconds: 28_800,
  /** Routes the construct adds, relative to the API root. */
  paths: SIGN_IN_PATHS,
} as const;

export interface Endpoints {
  readonly authorizationEndpoint: string;
  readonly tokenEndpoint: string;
  readonly endSessionEndpoint: string;
  readonly jwksUri: string;
}

export function endpointsOf(c: SignInConfig): Endpoints {
  const base = `${c.issuer}/protocol/openid-connect`;
  return {
    authorizationEndpoint: c.authorizationEndpoint ?? `${base}/auth`,
    tokenEndpoint: c.tokenEndpoint ?? `${base}/token`,
    endSessionEndpoint: c.endSessionEndpoint ?? `${base}/logout`,
    jwksUri: c.jwksUri ?? `${base}/certs`,
  };
}

const FIELDS = [
  'version',
  'issuer',
  'clientId',
  'clientSecretId',
  'clientSecretField',
  'keysSecretId',
  'authorizationEndpoint',
  'tokenEndpoint',
  'endSessionEndpoint',
  'jwksUri',
  'scopes',
  'cookieName',
  'stateCookieName',
  'publicBaseUrl',
  'postLogoutPath',
  'maxSessionSeconds',
  'secureCookies',
  'allowedOrigins',
  'csrfHeader',
];

export type SignInConfigResult = { ok: true; config: SignInConfig } | { ok: false; errors: string[] };

/** Validates untrusted input; every message names the field. */
export function validateSignInConfig(input: unknown): SignInConfigResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: ['sign-in config must be a JSON object'] };
  }
  const c = input as Record<string, unknown>;
  const errors: string[] = [];
  if (c.version !== 1) errors.push('version must be 1');
  if (!isHttpsUrl(c.issuer)) errors.push('issuer must be an https URL without a trailing slash');
  if (!isNonEmptyString(c.clientId, 255)) errors.push('clientId must be a non-empty string');
  if (c.clientSecretId !== undefined && !isNonEmptyString(c.clientSecretId, 2048)) {
    errors.push('clientSecretId must be a non-empty string');
  }
  if (c.clientSecretField !== undefined && !isNonEmptyString(c.clientSecretField, 128)) {
    errors.push('clientSecretField must be a non-empty string');
  }
  if (!isNonEmptyString(c.keysSecretId, 2048)) errors.push('keysSecretId must be a non-empty string');
  for (const f of [
    'authorizationEndpoint',
    'tokenEndpoint',
    'endSessionEndpoint',
    'jwksUri',
    'publicBaseUrl',
  ]) {
    if (c[f] !== undefined && !isHttpsUrl(c[f])) errors.push(`${f} must be an https URL`);
  }
  if (c.scopes !== undefined) {
    if (
      !Array.isArray(c.scopes) ||
      !c.scopes.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))
    ) {
      errors.push('scopes must be a list of scope tokens');
    } else if (!c.scopes.includes('openid')) {
      errors.push("scopes must include 'openid'");
    }
  }
  for (const f of ['cookieName', 'stateCookieName']) {
    if (c[f] !== undefined && !isCookieName(c[f])) errors.push(`${f} must be ${COOKIE_NAME_RULE}`);
  }
  if (c.secureCookies === false) {
    const names = [
      c.cookieName ?? SIGN_IN_DEFAULTS.cookieName,
      c.stateCookieName ?? SIGN_IN_DEFAULTS.stateCookieName,
    ];
    for (const name of names) {
      if (typeof name === 'string' && needsSecureCookie(name))
        errors.push(
          `secureCookies false needs cookie names without a __Host- or __Secure- prefix (a browser drops '${name}' set without Secure); set cookieName and stateCookieName`,
        );
    }
  }
  if (
    c.postLogoutPath !== undefined &&
    (typeof c.postLogoutPath !== 'string' ||
      !c.postLogoutPath.startsWith('/') ||
      c.postLogoutPath.startsWith('//'))
  ) {
    errors.push('postLogoutPath must be a path starting with a single /');
  }
  if (
    c.maxSessionSeconds !== undefined &&
    !(
      typeof c.maxSessionSeconds === 'number' &&
      Number.isInteger(c.maxSessionSeconds) &&
      c.maxSessionSeconds >= 300 &&
      c.maxSessionSeconds <= 2_592_000
    )
  ) {
    errors.push('maxSessionSeconds must be an integer from 300 to 2592000');
  }
  if (
    c.allowedOrigins !== undefined &&
    (!Array.isArray(c.allowedOrigins) || !c.allowedOrigins.every(isHttpsOrigin))
  ) {
    errors.push('allowedOrigins must be a list of https origins (scheme, host and optional port only)');
  }
  if (c.csrfHeader !== undefined && !isHeaderName(c.csrfHeader)) {
    errors.push('csrfHeader must be an HTTP header name');
  }
  if (c.secureCookies !== undefined && typeof c.secureCookies !== 'boolean')
    errors.push('secureCookies must be a boolean');
  for (const k of Object.keys(c)) if (!FIELDS.includes(k)) errors.push(`${k} is not a sign-in config field`);
  return errors.length ? { ok: false, errors } : { ok: true, config: c as unknown as SignInConfig };
}
