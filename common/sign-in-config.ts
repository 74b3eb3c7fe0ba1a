/**
 * The sign-in function's configuration: the JSON the BrowserSignIn construct writes into the function's
 * environment (`SIGN_IN_CONFIG_ENV`), declared once. From this schema come its TypeScript type, the
 * construct's check at `cdk synth` and the function's check at cold start, with the same messages.
 * Secrets are referenced by id, never inlined.
 */
import * as v from 'valibot';
import {
  checkConfig,
  fieldOf,
  strictFields,
  type ConfigCheck,
  type ConfigCheckOptions,
} from './config-issues';
import {
  COOKIE_NAME_PATTERN,
  COOKIE_NAME_RULE,
  DEFAULT_SESSION_COOKIE_NAME,
  DEFAULT_STATE_COOKIE_NAME,
  needsSecureCookie,
} from './cookie-names';
import { isHeaderName, isHttpsOrigin, isHttpsUrl } from './field-checks';
import { SIGN_IN_PATHS } from './sign-in-routes';

export { SIGN_IN_CONFIG_ENV } from './function-env';

import { MAX_SECRET_FIELD_LENGTH, SCOPE_TOKEN_PATTERN } from './config-patterns';
export { SCOPE_TOKEN_PATTERN };

/** Shortest and longest session (`maxSessionSeconds`): 5 minutes to 30 days. */
export const SESSION_SECONDS_RANGE = { min: 300, max: 2_592_000 } as const;

export const SIGN_IN_DEFAULTS = {
  cookieName: DEFAULT_SESSION_COOKIE_NAME,
  stateCookieName: DEFAULT_STATE_COOKIE_NAME,
  scopes: ['openid'] as readonly string[],
  postLogoutPath: '/',
  maxSessionSeconds: 28_800,
  /** Routes the construct adds, relative to the API root. */
  paths: SIGN_IN_PATHS,
} as const;

const text = (max: number) => {
  const message = `must be a non-empty string of at most ${max} characters`;
  return v.pipe(v.string(message), v.minLength(1, message), v.maxLength(max, message));
};
const httpsUrl = (message = 'must be an https URL') =>
  v.pipe(
    v.string(message),
    v.check((s: string) => isHttpsUrl(s), message),
  );
const cookieName = () => {
  const message = `must be ${COOKIE_NAME_RULE}`;
  return v.pipe(v.string(message), v.regex(COOKIE_NAME_PATTERN, message));
};
const singleSlashPath = (p: string) => p.startsWith('/') && !p.startsWith('//');
const sessionSeconds = `must be an integer from ${SESSION_SECONDS_RANGE.min} to ${SESSION_SECONDS_RANGE.max}`;
const origin = 'must be an https origin (scheme, host and optional port only)';

const SignInFields = strictFields({
  version: v.literal(1, 'must be 1'),
  /** Keycloak realm issuer, e.g. `https://sso.example.com/realms/ml`. */
  issuer: httpsUrl('must be an https URL without a trailing slash'),
  /** The OpenID Connect client people sign in with. */
  clientId: text(255),
  /** Secrets Manager id of the client secret (confidential client). Without it: public client with PKCE only. */
  clientSecretId: v.optional(text(2048)),
  /** JSON field of the client secret holding the value. Without it: the whole SecretString. */
  clientSecretField: v.optional(text(MAX_SECRET_FIELD_LENGTH)),
  /** Secrets Manager id of the cookie keyring (see session-keys.ts). */
  keysSecretId: text(2048),
  /** Endpoint overrides (e.g. an internal hostname). Without them: Keycloak's paths under the issuer. */
  authorizationEndpoint: v.optional(httpsUrl()),
  tokenEndpoint: v.optional(httpsUrl()),
  endSessionEndpoint: v.optional(httpsUrl()),
  jwksUri: v.optional(httpsUrl()),
  /** Without it: `['openid']`. */
  scopes: v.optional(
    v.pipe(
      v.array(
        v.pipe(
          v.string('must be an OAuth scope token'),
          v.regex(SCOPE_TOKEN_PATTERN, 'must be an OAuth scope token (no spaces, quotes or backslashes)'),
        ),
        'must be a list of scope tokens',
      ),
      v.check((scopes) => scopes.includes('openid'), "must include 'openid'"),
    ),
  ),
  /** Base name of the session cookie(s). Without it: DEFAULT_SESSION_COOKIE_NAME. */
  cookieName: v.optional(cookieName()),
  /** Without it: DEFAULT_STATE_COOKIE_NAME. */
  stateCookieName: v.optional(cookieName()),
  /** Absolute URL of the API as browsers see it, e.g. a custom domain. Without it: from the request. */
  publicBaseUrl: v.optional(httpsUrl()),
  /** Path (relative to the API) to land on after logout. Without it: `/`. */
  postLogoutPath: v.optional(
    v.pipe(
      v.string('must be a path starting with a single /'),
      v.check(singleSlashPath, 'must be a path starting with a single /'),
    ),
  ),
  /** Upper bound of a session, whatever the refresh token allows. Without it: 28800 (8 h). */
  maxSessionSeconds: v.optional(
    v.pipe(
      v.number(sessionSeconds),
      v.integer(sessionSeconds),
      v.minValue(SESSION_SECONDS_RANGE.min, sessionSeconds),
      v.maxValue(SESSION_SECONDS_RANGE.max, sessionSeconds),
    ),
  ),
  /**
   * Cookies carry `Secure`. Only the plain-http local gateway turns this off, with cookie names that
   * have no `__Host-` / `__Secure-` prefix (a browser drops such a cookie set without `Secure`).
   * Without it: true.
   */
  secureCookies: v.optional(v.boolean('must be a boolean')),
  /** https origins besides the API's own whose pages may POST /auth/logout and /auth/refresh. Without it: none. */
  allowedOrigins: v.optional(
    v.array(
      v.pipe(
        v.string(origin),
        v.check((s: string) => isHttpsOrigin(s), origin),
      ),
      'must be a list of https origins',
    ),
  ),
  /** Header a same-origin script may send on those POSTs instead of Origin. Without it: `x-keygate-csrf`. */
  csrfHeader: v.optional(
    v.pipe(
      v.string('must be an HTTP header name'),
      v.check((s: string) => isHeaderName(s), 'must be an HTTP header name'),
    ),
  ),
});

/** The whole configuration, with the checks across fields. */
export const SignInConfigSchema = v.pipe(
  SignInFields,
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.value.secureCookies !== false) return;
    const c = dataset.value;
    for (const key of ['cookieName', 'stateCookieName'] as const) {
      const name = c[key] ?? SIGN_IN_DEFAULTS[key];
      if (!needsSecureCookie(name)) continue;
      addIssue({
        message: `needs a name without a __Host- or __Secure- prefix when secureCookies is false (a browser drops '${name}' set without Secure)`,
        path: [fieldOf(c, key)],
      });
    }
  }),
);

export type SignInConfig = Readonly<v.InferOutput<typeof SignInConfigSchema>>;

/** Checks untrusted input (the function at cold start, the construct at synth); every message names the field. */
export function validateSignInConfig(
  input: unknown,
  options?: ConfigCheckOptions,
): ConfigCheck<SignInConfig> {
  return checkConfig(SignInConfigSchema, input, 'sign-in config', options);
}
