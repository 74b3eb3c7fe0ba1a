import { Duration, Lazy, Names, Stack, Token, Tokenization, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { HttpMethod, IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { AuthorizerConfig, IssuerConfig, SessionConfig } from '../../common/authorizer-config';
import {
  AUTHORIZER_CONFIG_ENV,
  AUTHORIZER_CONFIG_VERSION,
  DEFAULTS,
  issuerUrl,
  validateAuthorizerConfig,
} from '../../common/authorizer-config';
import {
  DECISION_FIELDS,
  DECISION_MESSAGE,
  JWKS_FAILURE_MESSAGE,
  METRIC_NAMESPACE,
} from '../../common/decision-log';
import { isHttpsOrigin } from '../../common/field-checks';
import { DEPLOY_TIME_ID_MAX_CHARS } from '../../common/aws-limits';
import type { RouteSpec } from '../../common/route-model';
import { boundParams, routeKey } from '../../common/route-model';
import type { RouteAuth } from '../api/route-auth';
import type { BackChannelLogout } from '../revocation/back-channel-logout';
import { revocationCacheTtl } from '../revocation/back-channel-logout';
import { keygateFunction } from '../internal/lambda-code';
import { CONFIG_ENV_BUDGET_BYTES, encodeConfigForEnv } from './config-env';
import { KeygateHttpRouteAuthorizer } from './http-route-authorizer';
import { grantUsageKeyAccess } from './usage-keys-access';
import type { UsageKeysConfig } from '../../common/usage-tiers';
import type { TrustedIssuer } from './trusted-issuer';
import type { TokenBindingOptions } from './token-binding';
import { dpopReplayTable, tokenBindingConfig, unregisteredBoundRoutes, warnCacheOff } from './token-binding';

/** How the authorizer answers an HTTP API (payload 2.0). REST APIs always get IAM policies. */
export enum AuthorizerResponseMode {
  /**
   * An IAM policy listing exactly the routes the caller may call; one cached answer is right for every
   * route of the API, so results can be cached per token.
   */
  IAM_POLICY = 'iam',
  /**
   * API Gateway's simple `{ isAuthorized }` answer. Cached per token and route key; a route that binds
   * a path parameter then requires `resultsCacheTtl` 0.
   */
  SIMPLE = 'simple',
}

/** Properties of the Keygate authorizer. */
export interface KeygateAuthorizerProps {
  /** Issuers whose access tokens are accepted (at least one). */
  readonly issuers: TrustedIssuer[];
  /**
   * How long API Gateway caches an answer per token (at most 1 hour; 0 disables caching).
   * @default Duration.minutes(5), or 0 when `tokenCookie` or `tokenQueryParameter` is set
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * HTTP API answer form.
   * @default AuthorizerResponseMode.IAM_POLICY
   */
  readonly responseMode?: AuthorizerResponseMode;
  /**
   * Header carrying `Bearer <token>`.
   * @default 'Authorization'
   */
  readonly tokenHeader?: string;
  /**
   * Cookie that may carry the token instead of the header. A token read from it must pass the same
   * same-origin check as a browser session on state-changing methods (`Origin` of the API itself or of
   * `tokenCookieAllowedOrigins`, `Sec-Fetch-Site: same-origin`, or the `x-keygate-csrf` header), or the
   * request is refused with `csrf_rejected`. Setting it disables result caching: API Gateway answers 401
   * without calling the authorizer when any listed identity source is missing, so neither the header nor
   * the cookie can be an identity source, and the check depends on each request's headers anyway.
   * @default - no cookie
   */
  readonly tokenCookie?: string;
  /**
   * With `tokenCookie`: https origins besides the API's own whose pages may send state-changing requests
   * carrying the token cookie.
   * @default - the API's own origin only
   */
  readonly tokenCookieAllowedOrigins?: string[];
  /**
   * Query-string parameter that may carry the token (disables result caching, as `tokenCookie`).
   * @default - no query parameter
   */
  readonly tokenQueryParameter?: string;
  /**
   * Accept the browser sessions set by the sign-in routes (`BrowserSignIn`) besides bearer tokens.
   * Disables result caching (a session cookie changes on every refresh, and identity sources cannot list
   * both the header and the cookie), adds the Parameters and Secrets Lambda Extension, and lets the
   * function read the cookie keyring secret.
   * @default - bearer tokens only
   */
  readonly browserSessions?: BrowserSessionOptions;
  /**
   * Leeway for `exp`, `nbf` and `iat` (at most 60 seconds).
   * @default Duration.seconds(30)
   */
  readonly clockSkew?: Duration;
  /**
   * Timeout of one JWKS request (100 ms to 4 seconds).
   * @default Duration.seconds(2)
   */
  readonly jwksTimeout?: Duration;
  /**
   * Entries in the authorizer's verified-token cache (0 disables it).
   * @default 1000
   */
  readonly verifiedCacheSize?: number;
  /**
   * Retention of the authorizer's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of the authorizer function, in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Refuse tokens of sessions logged out in the issuer (OpenID Connect Back-Channel Logout): the
   * authorizer reads the list, and its result cache TTL is capped at the list's bound (docs/revocation.md).
   * @default - no revocation check
   */
  readonly revocation?: BackChannelLogout;
  /**
   * Sender-constrained tokens: DPoP proofs (a replay table is created) and certificate-bound tokens, per
   * issuer or route (docs/token-binding.md). Turns the result cache off (resultsCacheTtl must be 0).
   * @default - bearer tokens
   */
  readonly tokenBinding?: TokenBindingOptions;
}

/** How the authorizer opens browser sessions. */
export interface BrowserSessionOptions {
  /** The cookie keyring secret (`BrowserSignIn.keysSecret`). */
  readonly keysSecret: secretsmanager.ISecret;
  /**
   * Base name of the session cookie(s) (`BrowserSignIn.sessionSettings.cookieName`).
   * @default '__Host-keygate_session'
   */
  readonly cookieName?: string;
  /**
   * Header a same-origin script sends on state-changing requests.
   * @default 'x-keygate-csrf'
   */
  readonly csrfHeader?: string;
  /**
   * Origins besides the API's own whose pages may send state-changing cookie requests.
   * @default - none
   */
  readonly allowedOrigins?: string[];
  /**
   * Absolute URL browsers use for the API (a custom domain, no trailing slash).
   * @default - derived per request from API Gateway's domain name and stage
   */
  readonly publicBaseUrl?: string;
}

/** A route the authorizer must know: the API's route table is part of its configuration. */
export interface AuthorizerRouteOptions {
  /** HTTP method (`ANY` for all). */
  readonly method: HttpMethod;
  /** Path template, e.g. `/models/{modelId}/invoke`. */
  readonly path: string;
  /** How the route is authorized. Only Keycloak routes are decided by this authorizer. */
  readonly auth: RouteAuth;
  /**
   * A page people open in a browser: without a session, they are sent to sign-in instead of getting a
   * bare 401 (GET Keycloak routes, with `browserSessions`).
   * @default false
   */
  readonly browser?: boolean;
}

const MAX_CACHE_TTL_SECONDS = 3600;

/**
 * The Keygate Lambda REQUEST authorizer: one function (Node.js 22, arm64, bundled with the local
 * esbuild) that validates Keycloak or Cognito access tokens and decides per route. It serves HTTP APIs
 * (`httpAuthorizer()`) and REST APIs (`restAuthorizer()`); the APIs it protects register their routes
 * with `addRoute`, and the route table travels to the function in its `KEYGATE_CONFIG` variable.
 */
export class KeygateAuthorizer extends Construct {
  /** The authorizer function. */
  public readonly handler: IFunction;
  /** The function's log group (decision log; metric filters read it). */
  public readonly logGroup: logs.ILogGroup;
  /** Seconds API Gateway caches an answer (0 = no caching). */
  public readonly resultsCacheTtlSeconds: number;
  /** The HTTP API answer form. */
  public readonly responseMode: AuthorizerResponseMode;
  /** Namespace of the metrics this authorizer's metric filters publish. */
  public readonly metricNamespace: string;

  private readonly issuers: TrustedIssuer[];
  private readonly routes: RouteSpec[] = [];
  private readonly browserRoutes: string[] = [];
  private readonly sessions?: BrowserSessionOptions;
  private readonly tokenHeader: string;
  private readonly tokenCookie?: string;
  private readonly tokenCookieOrigins?: string[];
  private readonly tokenQuery?: string;
  private readonly tokenBinding?: TokenBindingOptions;
  private replayTableName?: string;
  private readonly runtimeOptions: Pick<
    AuthorizerConfig,
    'clockSkewSeconds' | 'jwksTimeoutMs' | 'verifiedCacheSize'
  >;
  private httpRouteAuthorizer?: KeygateHttpRouteAuthorizer;
  private readonly revocation?: BackChannelLogout;
  private usage?: UsageKeysConfig;
  private restAuthorizerCount = 0;

  constructor(scope: Construct, id: string, props: KeygateAuthorizerProps) {
    super(scope, id);
    if (props.issuers.length === 0)
      throw new Error('KeygateAuthorizer: issuers must list at least one TrustedIssuer');
    this.issuers = [...props.issuers];
    this.responseMode = props.responseMode ?? AuthorizerResponseMode.IAM_POLICY;
    this.tokenHeader = props.tokenHeader ?? DEFAULTS.header;
    this.tokenCookie = props.tokenCookie;
    this.tokenCookieOrigins = tokenCookieOrigins(props);
    this.tokenQuery = props.tokenQueryParameter;
    this.sessions = props.browserSessions;
    this.tokenBinding = props.tokenBinding;
    this.revocation = props.revocation;
    this.resultsCacheTtlSeconds = revocationCacheTtl(
      resolveCacheTtl(props),
      props.resultsCacheTtl !== undefined,
      props.revocation,
    );
    this.runtimeOptions = {
      ...(props.clockSkew !== undefined
        ? { clockSkewSeconds: wholeSeconds(props.clockSkew, 'clockSkew', 0, DEFAULTS.maxClockSkewSeconds) }
        : {}),
      ...(props.jwksTimeout !== undefined ? { jwksTimeoutMs: jwksTimeoutMs(props.jwksTimeout) } : {}),
      ...(props.verifiedCacheSize !== undefined
        ? { verifiedCacheSize: cacheSize(props.verifiedCacheSize) }
        : {}),
    };
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
      throw new Error(
        `KeygateAuthorizer: memorySize must be an integer from 128 to 10240, got ${memorySize}`,
      );
    }
    this.validate();

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    // A role of its own instead of AWSLambdaBasicExecutionRole: it may write to its log group and nothing else.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Keygate authorizer: writes its own log group only',
    });
    // The log group's Arn attribute ends in `:*`, which covers its log streams and nothing else.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    // The prebuilt bundle of lambda/authorizer (local esbuild at package build time: Node.js 22, arm64,
    // minified, source maps), so neither this repository's synth nor a consumer's needs esbuild or Docker.
    const fn = keygateFunction(this, 'Function', {
      entry: 'authorizer',
      memorySize,
      // The JWKS timeout is at most 4 s; an authorizer that needs longer is failing anyway.
      timeout: Duration.seconds(10),
      role,
      logGroup: this.logGroup,
      description: 'Keygate authorizer: validates Keycloak/Cognito access tokens and decides per route',
      // The session keyring is read through the extension's local endpoint, cached between invocations.
      ...(this.sessions
        ? {
            paramsAndSecrets: lambda.ParamsAndSecretsLayerVersion.fromVersion(
              lambda.ParamsAndSecretsVersions.V1_0_103,
            ),
          }
        : {}),
      environment: {
        [AUTHORIZER_CONFIG_ENV]: Lazy.string({ produce: () => this.renderConfig() }),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'The authorizer targets nodejs22.x deliberately: it is the runtime its bundle and tests are built for.',
    });
    this.handler = fn;
    this.sessions?.keysSecret.grantRead(fn);
    this.revocation?.grantCheck(fn);
    if (this.tokenBinding) {
      const binding = this.tokenBinding;
      if (binding.dpop) this.replayTableName = dpopReplayTable(this, fn, binding.dpop.replayTable).tableName;
      warnCacheOff(this, binding);
      this.node.addValidation({ validate: () => unregisteredBoundRoutes(binding, new Set(this.routeKeys)) });
    }

    this.metricNamespace = `${METRIC_NAMESPACE}/${Names.uniqueResourceName(this, { maxLength: 200 })}`;
    const filter = (name: string, metricName: string, pattern: logs.IFilterPattern) =>
      new logs.MetricFilter(this, name, {
        logGroup: this.logGroup,
        metricNamespace: this.metricNamespace,
        metricName,
        filterPattern: pattern,
        metricValue: '1',
        defaultValue: 0,
        unit: cloudwatch.Unit.COUNT,
      });
    const decision = (outcome: string) =>
      logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.message', '=', DECISION_MESSAGE),
        logs.FilterPattern.stringValue(`$.${DECISION_FIELDS.decision}`, '=', outcome),
      );
    filter('DenialsFilter', 'Denials', decision('deny'));
    filter('UnauthorizedFilter', 'Unauthorized', decision('unauthorized'));
    filter(
      'JwksFailuresFilter',
      'JwksFetchFailures',
      logs.FilterPattern.stringValue('$.message', '=', JWKS_FAILURE_MESSAGE),
    );
    filter('LoggedErrorsFilter', 'LoggedErrors', logs.FilterPattern.stringValue('$.level', '=', 'ERROR'));
    // One count per decision and reason code, for dashboards (reason codes are a closed list, so the
    // dimension stays small). CloudWatch allows no default value on a filter with dimensions.
    new logs.MetricFilter(this, 'DecisionsFilter', {
      logGroup: this.logGroup,
      metricNamespace: this.metricNamespace,
      metricName: 'Decisions',
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', DECISION_MESSAGE),
      metricValue: '1',
      dimensions: { Decision: `$.${DECISION_FIELDS.decision}`, Reason: `$.${DECISION_FIELDS.reason}` },
      unit: cloudwatch.Unit.COUNT,
    });
  }

  /**
   * Answers REST requests with the API key of the caller's usage tier (`usageIdentifierKey`), read from
   * the given secrets (SecuredRestApi `usageTiers` calls this). One REST API's tiers per authorizer.
   * @internal
   */
  public _useUsageKeys(usage: UsageKeysConfig, keySecrets: secretsmanager.ISecret[]): void {
    if (this.usage)
      throw new Error(
        'KeygateAuthorizer: usage tiers are set by another API already; give each API with usageTiers its own authorizer',
      );
    this.usage = usage;
    grantUsageKeyAccess(this.handler as lambda.Function, keySecrets);
  }

  /**
   * Adds a route of a protected API to the authorizer's route table (the Secured APIs do this for
   * every route). The same route may be added by several APIs if it is authorized the same way.
   */
  public addRoute(route: AuthorizerRouteOptions): void {
    const spec: RouteSpec = {
      method: route.method as RouteSpec['method'],
      path: route.path,
      auth: route.auth._kind,
      ...(route.auth._requirement ? { requirement: route.auth._requirement } : {}),
    };
    const key = routeKey(spec);
    const existing = this.routes.find((r) => routeKey(r) === key);
    if (existing) {
      if (JSON.stringify(existing) !== JSON.stringify(spec)) {
        throw new Error(
          `KeygateAuthorizer: route ${key} is already registered with a different authorization`,
        );
      }
      return;
    }
    if (route.browser && !this.sessions) {
      throw new Error(
        `KeygateAuthorizer: route ${key} is marked browser, which needs the browserSessions prop`,
      );
    }
    if (
      this.responseMode === AuthorizerResponseMode.SIMPLE &&
      this.resultsCacheTtlSeconds > 0 &&
      spec.auth === 'keycloak' &&
      boundParams(spec.requirement).length > 0
    ) {
      throw new Error(
        `KeygateAuthorizer: resultsCacheTtl must be 0 with responseMode SIMPLE, because route ${key} binds a path ` +
          'parameter and a cached simple answer is keyed by the route, not by the concrete path',
      );
    }
    this.routes.push(spec);
    if (route.browser) this.browserRoutes.push(key);
    try {
      this.validate();
    } catch (e) {
      this.routes.pop();
      if (route.browser) this.browserRoutes.pop();
      throw e;
    }
  }

  /**
   * Whether a refused DPoP request is answered with a challenge in the REST Deny's context, which
   * SecuredRestApi's ACCESS_DENIED response sends as WWW-Authenticate (lambda/authorizer/dpop-challenge.ts).
   * @internal
   */
  public get _dpopChallenge(): boolean {
    return this.tokenBinding?.dpop !== undefined;
  }

  /** The routes registered so far (a copy). */
  public get routeKeys(): string[] {
    return this.routes.map((r) => routeKey(r));
  }

  /**
   * The authorizer for HTTP API routes: a REQUEST authorizer with payload format 2.0, IAM-policy (or
   * simple) answers and identity sources consistent with the cache design. One object serves any number
   * of HTTP APIs (one API Gateway authorizer is created per API).
   */
  public httpAuthorizer(): IHttpRouteAuthorizer {
    if (!this.httpRouteAuthorizer) {
      this.httpRouteAuthorizer = new KeygateHttpRouteAuthorizer({
        handler: this.handler,
        name: Names.uniqueResourceName(this, { maxLength: 100 }),
        identitySource: this.httpIdentitySources(),
        resultsCacheTtl: Duration.seconds(this.resultsCacheTtlSeconds),
        simpleResponses: this.responseMode === AuthorizerResponseMode.SIMPLE,
      });
    }
    return this.httpRouteAuthorizer;
  }

  /**
   * A new REST API REQUEST authorizer backed by this function (API Gateway binds an authorizer to one
   * REST API, so call this once per API).
   */
  public restAuthorizer(): apigw.IAuthorizer {
    this.restAuthorizerCount += 1;
    const n = this.restAuthorizerCount;
    return new apigw.RequestAuthorizer(this, n === 1 ? 'RestAuthorizer' : `RestAuthorizer${n}`, {
      handler: this.handler,
      identitySources: this.hasAlternateSource() ? [] : [apigw.IdentitySource.header(this.tokenHeader)],
      resultsCacheTtl: Duration.seconds(this.resultsCacheTtlSeconds),
    });
  }

  /** HTTP API identity sources: the token header; plus the route key in simple mode; none without caching. */
  public httpIdentitySources(): string[] {
    if (this.hasAlternateSource()) return [];
    const sources = [`$request.header.${this.tokenHeader}`];
    // A simple answer says nothing about which route it was for: the route key must be part of the cache key.
    if (this.responseMode === AuthorizerResponseMode.SIMPLE) sources.push('$context.routeKey');
    return sources;
  }

  /** Count of valid tokens refused for a route (403), per 5 minutes. */
  public metricDenials(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Denials', props);
  }

  /** Count of requests without a valid token (401), per 5 minutes. */
  public metricUnauthorized(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Unauthorized', props);
  }

  /** Count of failed JWKS fetches, per 5 minutes. */
  public metricJwksFetchFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('JwksFetchFailures', props);
  }

  /**
   * Count of decisions with one outcome (`allow`, `deny`, `unauthorized`) and reason code (see
   * common/reason-codes.ts), per 5 minutes.
   */
  public metricDecisions(
    decision: string,
    reason: string,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return this.metric('Decisions', { ...props, dimensionsMap: { Decision: decision, Reason: reason } });
  }

  /** Count of error-level log lines (internal errors, invalid configuration), per 5 minutes. */
  public metricLoggedErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('LoggedErrors', props);
  }

  private metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricNamespace,
      metricName,
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  private hasAlternateSource(): boolean {
    return this.tokenCookie !== undefined || this.tokenQuery !== undefined || this.sessions !== undefined;
  }

  private sessionConfig(s: BrowserSessionOptions, probe: boolean): SessionConfig {
    return {
      // The ARN is usually a token until deployment: validate with a stand-in of the same shape.
      keysSecretId:
        probe && Token.isUnresolved(s.keysSecret.secretArn)
          ? 'arn:aws:secretsmanager:us-east-1:111122223333:secret:keys'
          : s.keysSecret.secretArn,
      ...(s.cookieName !== undefined ? { cookieName: s.cookieName } : {}),
      ...(s.csrfHeader !== undefined ? { csrfHeader: s.csrfHeader } : {}),
      ...(s.allowedOrigins !== undefined ? { allowedOrigins: [...s.allowedOrigins] } : {}),
      ...(this.browserRoutes.length > 0 ? { browserRoutes: [...this.browserRoutes] } : {}),
      ...(s.publicBaseUrl !== undefined ? { publicBaseUrl: s.publicBaseUrl } : {}),
    };
  }

  private buildConfig(issuers: IssuerConfig[], probe = false): AuthorizerConfig {
    return {
      version: AUTHORIZER_CONFIG_VERSION,
      issuers,
      routes: probe ? this.probeRoutes() : this.routes,
      tokenSource: {
        header: this.tokenHeader,
        ...(this.tokenCookie ? { cookie: this.tokenCookie } : {}),
        ...(this.tokenCookieOrigins ? { allowedOrigins: this.tokenCookieOrigins } : {}),
        ...(this.tokenQuery ? { query: this.tokenQuery } : {}),
      },
      responseMode: this.responseMode === AuthorizerResponseMode.SIMPLE ? 'simple' : 'iam',
      // The runtime answers per request ARN without a cache, and checks the table with one.
      resultCacheTtlSeconds: this.resultsCacheTtlSeconds,
      ...this.runtimeOptions,
      ...(this.sessions ? { session: this.sessionConfig(this.sessions, probe) } : {}),
      ...(this.revocation ? { revocation: this.revocation._authorizerConfig(probe) } : {}),
      ...(this.usage ? { usage: this.usage } : {}),
      ...(this.tokenBinding
        ? {
            tokenBinding: tokenBindingConfig(
              this.tokenBinding,
              this.replayTableName,
              probe,
              new Set(this.routeKeys),
            ),
          }
        : {}),
    };
  }

  /**
   * The routes with each issuer URL of a requirement's scope written as its issuer's stand-in, so the scope
   * of a pool created in the same stack (a deploy-time URL) is checked against the probe issuers.
   */
  private probeRoutes(): RouteSpec[] {
    const probeUrl = new Map(this.issuers.map((i) => [issuerUrl(i._config), issuerUrl(i._probe)]));
    return this.routes.map((r) =>
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

  /** Validates the config as the runtime will (with stand-ins for deploy-time values). */
  private validate(): void {
    const result = validateAuthorizerConfig(
      this.buildConfig(
        this.issuers.map((i) => i._probe),
        true,
      ),
    );
    if (!result.ok) {
      throw new Error(result.errors.map((e) => `KeygateAuthorizer: ${renameField(e)}`).join('\n'));
    }
  }

  private renderConfig(): string {
    const issuers = this.issuers.map((i) => i._config);
    const hasTokens = Token.isUnresolved(JSON.stringify(this.buildConfig(issuers)));
    if (!hasTokens) {
      const encoded = encodeConfigForEnv(JSON.stringify(this.buildConfig(issuers)));
      if (encoded === undefined) throw new Error(tooLarge(this.routes.length));
      return encoded;
    }
    // Deploy-time values (a user pool id) cannot be compressed at synth: the JSON must fit as it is, with
    // each deploy-time value counted at the longest it can be.
    const longest = Tokenization.reverseString(JSON.stringify(this.buildConfig(issuers)))
      .mapTokens({ mapToken: () => 'x'.repeat(DEPLOY_TIME_ID_MAX_CHARS) })
      .join({ join: (left: unknown, right: unknown) => `${String(left)}${String(right)}` }) as string;
    const estimate = Buffer.byteLength(longest, 'utf8');
    if (estimate > CONFIG_ENV_BUDGET_BYTES) throw new Error(tooLarge(this.routes.length));
    return Stack.of(this).toJsonString(this.buildConfig(issuers));
  }
}

function resolveCacheTtl(props: KeygateAuthorizerProps): number {
  if (props.tokenBinding) return bindingCacheTtl(props.resultsCacheTtl);
  const alternate =
    props.tokenCookie !== undefined ||
    props.tokenQueryParameter !== undefined ||
    props.browserSessions !== undefined;
  if (props.resultsCacheTtl === undefined) return alternate ? 0 : 300;
  const seconds = props.resultsCacheTtl.toSeconds();
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_CACHE_TTL_SECONDS) {
    throw new Error(
      `KeygateAuthorizer: resultsCacheTtl must be a whole number of seconds from 0 to 3600 (1 hour), got ${seconds}`,
    );
  }
  if (alternate && seconds !== 0) {
    throw new Error(
      'KeygateAuthorizer: resultsCacheTtl must be 0 when tokenCookie, tokenQueryParameter or browserSessions is set: API Gateway ' +
        'answers 401 without calling the authorizer when a listed identity source is missing, so a token that may ' +
        'come from either place leaves no identity source to cache by; and a cookie needs a same-origin check on ' +
        "each request's own Origin and Sec-Fetch-Site headers, which a cached answer would skip",
    );
  }
  return seconds;
}

function tokenCookieOrigins(props: KeygateAuthorizerProps): string[] | undefined {
  const origins = props.tokenCookieAllowedOrigins;
  if (origins === undefined) return undefined;
  if (props.tokenCookie === undefined) {
    throw new Error('KeygateAuthorizer: tokenCookieAllowedOrigins needs tokenCookie');
  }
  for (const o of origins) {
    if (!Token.isUnresolved(o) && !isHttpsOrigin(o)) {
      throw new Error(
        `KeygateAuthorizer: tokenCookieAllowedOrigins must list https origins (scheme, host, optional port), got '${o}'`,
      );
    }
  }
  return [...origins];
}

function wholeSeconds(d: Duration, prop: string, min: number, max: number): number {
  const s = d.toSeconds();
  if (!Number.isInteger(s) || s < min || s > max) {
    throw new Error(
      `KeygateAuthorizer: ${prop} must be a whole number of seconds from ${min} to ${max}, got ${s}`,
    );
  }
  return s;
}

function jwksTimeoutMs(d: Duration): number {
  const ms = d.toMilliseconds();
  if (!Number.isInteger(ms) || ms < 100 || ms > DEFAULTS.maxJwksTimeoutMs) {
    throw new Error(
      `KeygateAuthorizer: jwksTimeout must be from 100 ms to ${DEFAULTS.maxJwksTimeoutMs} ms, got ${ms} ms`,
    );
  }
  return ms;
}

function cacheSize(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 100_000) {
    throw new Error(`KeygateAuthorizer: verifiedCacheSize must be an integer from 0 to 100000, got ${n}`);
  }
  return n;
}

/** Runtime config field names → the construct props that set them. */
function renameField(message: string): string {
  return message
    .replace(/^tokenSource\.header\b/, 'tokenHeader')
    .replace(/^tokenSource\.cookie\b/, 'tokenCookie')
    .replace(/^tokenSource\.query\b/, 'tokenQueryParameter')
    .replace(/^issuers\[(\d+)\]\.issuer\b/, 'issuers[$1].issuerUrl')
    .replace(/^session\.browserRoutes\b/, 'routes (browser: true)')
    .replace(/^session\./, 'browserSessions.');
}

function tooLarge(routes: number): string {
  return (
    `KeygateAuthorizer: the configuration (issuers and ${routes} routes) does not fit in Lambda's 4 KB environment ` +
    'even gzipped; split the API or shorten requirements'
  );
}

/**
 * API Gateway's result cache is per authorizer and keyed by the identity sources: it would replay an
 * allow without the single-use DPoP proof, and without looking at the client certificate (not an
 * identity source). So token binding needs it off.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/configure-api-gateway-lambda-authorization.html
 */
function bindingCacheTtl(ttl: Duration | undefined): number {
  if (ttl === undefined || ttl.toSeconds() === 0) return 0;
  throw new Error(
    `KeygateAuthorizer: resultsCacheTtl must be 0 with tokenBinding (got ${ttl.toSeconds()} s): a DPoP proof is ` +
      'single-use and a client certificate is not part of the cache key, so a cached answer would skip the proof',
  );
}
