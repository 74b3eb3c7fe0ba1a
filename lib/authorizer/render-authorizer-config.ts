/**
 * The authorizer's configuration as its function reads it (`KEYGATE_CONFIG`, common/authorizer-config.ts):
 * built from the construct's props and route table, checked at synth exactly as the function checks it at
 * cold start (with stand-ins for deploy-time values), and rendered into the environment within Lambda's
 * 4 KB budget.
 */
import { Stack, Token, Tokenization } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AuthorizerConfig, ResponseMode, SessionConfig } from '../../common/authorizer-config';
import {
  AUTHORIZER_CONFIG_VERSION,
  authorizerConfigContent,
  authorizerConfigDigest,
  issuerUrl,
} from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import { DEPLOY_TIME_ID_MAX_CHARS } from '../../common/aws-limits';
import type { RouteSpec } from '../../common/route-model';
import { routeKey } from '../../common/route-model';
import type { UsageKeysConfig } from '../../common/usage-tiers';
import { KeygateValidationError } from '../internal/validation-error';
import type { BackChannelLogout } from '../revocation/back-channel-logout';
import type { AuthorizerRuntimeOptions } from './authorizer-props';
import { CONFIG_ENV_BUDGET_BYTES, encodeConfigForEnv } from './config-env';
import type { BrowserSessionOptions } from './keygate-authorizer';
import type { TokenBindingOptions } from './token-binding';
import { tokenBindingConfig } from './token-binding';
import type { TrustedIssuer } from './trusted-issuer';

/** Everything the configuration is made of: the construct's settings and its route table so far. */
export interface AuthorizerConfigParts {
  readonly issuers: readonly TrustedIssuer[];
  readonly routes: readonly RouteSpec[];
  /** Keys of the routes marked `browser`. */
  readonly browserRoutes: readonly string[];
  readonly tokenHeader: string;
  readonly tokenCookie?: string;
  readonly tokenCookieOrigins?: readonly string[];
  readonly tokenQuery?: string;
  readonly responseMode: ResponseMode;
  readonly resultCacheTtlSeconds: number;
  readonly runtimeOptions: AuthorizerRuntimeOptions;
  readonly sessions?: BrowserSessionOptions;
  readonly revocation?: BackChannelLogout;
  readonly usage?: UsageKeysConfig;
  readonly tokenBinding?: TokenBindingOptions;
  /** The DPoP replay table's name, with `tokenBinding.dpop`. */
  readonly replayTableName?: string;
}

/**
 * The configuration. `probe`: for synth-time checks, with each deploy-time value (a pool id, a secret or
 * table name) replaced by a stand-in of the same shape.
 */
export function buildAuthorizerConfig(parts: AuthorizerConfigParts, probe = false): AuthorizerConfig {
  return {
    version: AUTHORIZER_CONFIG_VERSION,
    issuers: parts.issuers.map((i) => (probe ? i._probe : i._config)),
    routes: probe ? probeRoutes(parts) : [...parts.routes],
    tokenSource: {
      header: parts.tokenHeader,
      ...(parts.tokenCookie ? { cookie: parts.tokenCookie } : {}),
      ...(parts.tokenCookieOrigins ? { allowedOrigins: [...parts.tokenCookieOrigins] } : {}),
      ...(parts.tokenQuery ? { query: parts.tokenQuery } : {}),
    },
    responseMode: parts.responseMode,
    // The runtime answers per request ARN without a cache, and checks the table with one.
    resultCacheTtlSeconds: parts.resultCacheTtlSeconds,
    ...parts.runtimeOptions,
    ...(parts.sessions ? { session: sessionConfig(parts, parts.sessions, probe) } : {}),
    ...(parts.revocation ? { revocation: parts.revocation._authorizerConfig(probe) } : {}),
    ...(parts.usage ? { usage: parts.usage } : {}),
    ...(parts.tokenBinding
      ? {
          tokenBinding: tokenBindingConfig(
            parts.tokenBinding,
            parts.replayTableName,
            probe,
            new Set(parts.routes.map((r) => routeKey(r))),
          ),
        }
      : {}),
  };
}

function sessionConfig(
  parts: AuthorizerConfigParts,
  s: BrowserSessionOptions,
  probe: boolean,
): SessionConfig {
  return {
    // The ARN is usually a token until deployment: validate with a stand-in of the same shape.
    keysSecretId:
      probe && Token.isUnresolved(s.keysSecret.secretArn)
        ? 'arn:aws:secretsmanager:us-east-1:111122223333:secret:keys'
        : s.keysSecret.secretArn,
    ...(s.cookieName !== undefined ? { cookieName: s.cookieName } : {}),
    ...(s.csrfHeader !== undefined ? { csrfHeader: s.csrfHeader } : {}),
    ...(s.allowedOrigins !== undefined ? { allowedOrigins: [...s.allowedOrigins] } : {}),
    ...(parts.browserRoutes.length > 0 ? { browserRoutes: [...parts.browserRoutes] } : {}),
    ...(s.publicBaseUrl !== undefined ? { publicBaseUrl: s.publicBaseUrl } : {}),
  };
}

/**
 * The routes with each issuer URL of a requirement's scope written as its issuer's stand-in, so the scope
 * of a pool created in the same stack (a deploy-time URL) is checked against the probe issuers.
 */
function probeRoutes(parts: AuthorizerConfigParts): RouteSpec[] {
  const probeUrl = new Map(parts.issuers.map((i) => [issuerUrl(i._config), issuerUrl(i._probe)]));
  return parts.routes.map((r) =>
    r.requirement?.issuers === undefined
      ? r
      : {
          ...r,
          requirement: {
            ...r.requirement,
            issuers: r.requirement.issuers.map((u) => probeUrl.get(u) ?? u),
          },
        },
  );
}

/**
 * The prop behind each top-level key of the configuration: an issue's field is its path with the key
 * written as the prop (`session.cookieName` is `browserSessions.cookieName`). (The props whose names differ
 * from the configuration's are checked under their own names first: authorizer-props.ts.)
 */
const PROP_OF_CONFIG_KEY: Readonly<Record<string, string>> = {
  issuers: 'issuers',
  routes: 'routes',
  tokenSource: 'tokenHeader',
  session: 'browserSessions',
  revocation: 'revocation',
  usage: 'usageTiers',
  tokenBinding: 'tokenBinding',
  resultCacheTtlSeconds: 'resultsCacheTtl',
  responseMode: 'responseMode',
  clockSkewSeconds: 'clockSkew',
  jwksTimeoutMs: 'jwksTimeout',
  verifiedCacheSize: 'verifiedCacheSize',
};

/** The fields below a top-level key whose prop is named otherwise than the key's prop and the field. */
const PROP_OF_CONFIG_FIELD: Readonly<Record<string, string>> = {
  'tokenSource.header': 'tokenHeader',
  'tokenSource.cookie': 'tokenCookie',
  'tokenSource.query': 'tokenQueryParameter',
  'tokenSource.allowedOrigins': 'tokenCookieAllowedOrigins',
  'session.keysSecretId': 'browserSessions.keysSecret',
  'tokenBinding.dpop.proofMaxAgeSeconds': 'tokenBinding.dpop.proofMaxAge',
  'tokenBinding.dpop.replayTableName': 'tokenBinding.dpop.replayTable',
};

/**
 * The construct-time field of an issue about configuration field `path`: the prop it comes from, with the
 * path below it (`tokenBinding.dpop.issuers[0]`, `usageTiers.assignments[1].tier`).
 */
export function propFieldOf(path: string): string {
  for (const [field, prop] of Object.entries(PROP_OF_CONFIG_FIELD)) {
    if (path === field || path.startsWith(`${field}[`) || path.startsWith(`${field}.`))
      return `${prop}${path.slice(field.length)}`;
  }
  const key = path.split(/[.[]/, 1)[0];
  const prop = PROP_OF_CONFIG_KEY[key];
  return prop === undefined ? path : `${prop}${path.slice(key.length)}`;
}

/** Checks the configuration as the function will at cold start (with stand-ins for deploy-time values). */
export function checkAuthorizerConfig(scope: Construct, parts: AuthorizerConfigParts): void {
  const result = validateAuthorizerConfig(buildAuthorizerConfig(parts, true));
  if (result.ok) return;
  throw new KeygateValidationError(
    scope,
    propFieldOf(result.issues[0].path),
    result.errors.map((e) => `KeygateAuthorizer: ${e}`).join('\n'),
  );
}

/**
 * The `KEYGATE_CONFIG` value: gzipped and base64-encoded when it is all known at synth (config-env.ts),
 * else the JSON as it is, which must fit with each deploy-time value counted at the longest it can be.
 * The configuration is checked once more and stamped with the digest of its checked content
 * (common/config-digest.ts), so the function does not run those checks again. The digest is taken of the
 * configuration with stand-ins for deploy-time values, which the content leaves out; content that still
 * holds one (a literal token in a Keycloak issuer's clients) goes without a digest, as does a configuration
 * that fits only without it: every check then runs at cold start.
 * @param budget bytes the value may take @default CONFIG_ENV_BUDGET_BYTES (config-env.ts)
 */
export function renderAuthorizerConfig(
  scope: Construct,
  parts: AuthorizerConfigParts,
  budget = CONFIG_ENV_BUDGET_BYTES,
): string {
  checkAuthorizerConfig(scope, parts);
  const config = buildAuthorizerConfig(parts);
  const probe = buildAuthorizerConfig(parts, true);
  const digest = Token.isUnresolved(authorizerConfigContent(probe))
    ? undefined
    : authorizerConfigDigest(probe);
  return (
    (digest === undefined ? undefined : renderWithin(scope, { ...config, configDigest: digest }, budget)) ??
    renderWithin(scope, config, budget) ??
    tooLarge(scope, parts.routes.length)
  );
}

/** The environment value of `config`, or undefined when it does not fit `budget` bytes. */
function renderWithin(scope: Construct, config: AuthorizerConfig, budget: number): string | undefined {
  const json = JSON.stringify(config);
  if (!Token.isUnresolved(json)) return encodeConfigForEnv(json, budget);
  // Deploy-time values (a user pool id) cannot be compressed at synth: the JSON must fit as it is.
  const longest = Tokenization.reverseString(json)
    .mapTokens({ mapToken: () => 'x'.repeat(DEPLOY_TIME_ID_MAX_CHARS) })
    .join({ join: (left: unknown, right: unknown) => `${String(left)}${String(right)}` }) as string;
  if (Buffer.byteLength(longest, 'utf8') > budget) return undefined;
  return Stack.of(scope).toJsonString(config);
}

function tooLarge(scope: Construct, routes: number): never {
  throw new KeygateValidationError(
    scope,
    'routes',
    `KeygateAuthorizer: the configuration (issuers and ${routes} routes) does not fit in Lambda's 4 KB environment ` +
      'even gzipped; split the API or shorten requirements',
  );
}
