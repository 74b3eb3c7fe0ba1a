import { Duration, Lazy, Names } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { HttpMethod, IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AUTHORIZER_CONFIG_ENV, DEFAULTS } from '../../common/authorizer-config';
import { METRIC_NAMESPACE } from '../../common/decision-log';
import type { RouteSpec } from '../../common/route-model';
import { boundParams, routeKey } from '../../common/route-model';
import type { UsageKeysConfig } from '../../common/usage-tiers';
import type { RouteAuth } from '../api/route-auth';
import { acknowledgeKeygateRuntime, functionScaffolding } from '../internal/function-scaffolding';
import { keygateFunction } from '../internal/lambda-code';
import { KeygateValidationError } from '../internal/validation-error';
import type { BackChannelLogout } from '../revocation/back-channel-logout';
import { revocationCacheTtl } from '../revocation/back-channel-logout';
import { addDecisionMetricFilters, authorizerMetric } from './authorizer-metrics';
import type { AuthorizerRuntimeOptions } from './authorizer-props';
import {
  checkBrowserSessions,
  checkIssuers,
  checkTokenSource,
  memorySize,
  resolveCacheTtl,
  runtimeOptions,
  tokenCookieOrigins,
} from './authorizer-props';
import { KeygateHttpRouteAuthorizer } from './http-route-authorizer';
import type { AuthorizerConfigParts } from './render-authorizer-config';
import { checkAuthorizerConfig, renderAuthorizerConfig } from './render-authorizer-config';
import type { TokenBindingOptions } from './token-binding';
import { dpopReplayTable, unregisteredBoundRoutes, warnCacheOff } from './token-binding';
import type { TrustedIssuer } from './trusted-issuer';
import { grantUsageKeyAccess } from './usage-keys-access';

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

/**
 * The Keygate Lambda REQUEST authorizer: one function (Node.js 22, arm64, bundled with the local
 * esbuild) that validates Keycloak or Cognito access tokens and decides per route. It serves HTTP APIs
 * (`httpAuthorizer()`) and REST APIs (`restAuthorizer(api)`); the APIs it protects register their routes
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
  private readonly runtimeOptions: AuthorizerRuntimeOptions;
  private httpRouteAuthorizer?: KeygateHttpRouteAuthorizer;
  /** One REST API authorizer per API: API Gateway binds an authorizer to one REST API. */
  private readonly restAuthorizers = new Map<apigw.IRestApi, apigw.RequestAuthorizer>();
  private readonly revocation?: BackChannelLogout;
  private usage?: UsageKeysConfig;

  constructor(scope: Construct, id: string, props: KeygateAuthorizerProps) {
    super(scope, id);
    checkIssuers(this, props);
    checkTokenSource(this, props);
    checkBrowserSessions(this, props);
    this.issuers = [...props.issuers];
    this.responseMode = props.responseMode ?? AuthorizerResponseMode.IAM_POLICY;
    this.tokenHeader = props.tokenHeader ?? DEFAULTS.header;
    this.tokenCookie = props.tokenCookie;
    this.tokenCookieOrigins = tokenCookieOrigins(this, props);
    this.tokenQuery = props.tokenQueryParameter;
    this.sessions = props.browserSessions;
    this.tokenBinding = props.tokenBinding;
    this.revocation = props.revocation;
    this.resultsCacheTtlSeconds = revocationCacheTtl(
      this,
      resolveCacheTtl(this, props),
      props.resultsCacheTtl !== undefined,
      props.revocation,
    );
    this.runtimeOptions = runtimeOptions(this, props);
    const memory = memorySize(this, props);
    checkAuthorizerConfig(this, this.configParts());

    const { logGroup, role } = functionScaffolding(this, {
      roleDescription: 'Keygate authorizer: writes its own log group only',
      logRetention: props.logRetention,
    });
    this.logGroup = logGroup;
    const fn = this.createFunction(memory, role, logGroup);
    this.handler = fn;
    this.sessions?.keysSecret.grantRead(fn);
    this.revocation?.grantCheck(fn);
    if (this.tokenBinding) this.bindTokens(this.tokenBinding, fn);

    this.metricNamespace = `${METRIC_NAMESPACE}/${Names.uniqueResourceName(this, { maxLength: 200 })}`;
    addDecisionMetricFilters(this, this.logGroup, this.metricNamespace);
  }

  /**
   * The prebuilt bundle of lambda/authorizer (local esbuild at package build time: Node.js 22, arm64,
   * minified, source maps), so neither this repository's synth nor a consumer's needs esbuild or Docker.
   */
  private createFunction(memory: number, role: iam.IRole, logGroup: logs.ILogGroup): lambda.Function {
    const fn = keygateFunction(this, 'Function', {
      entry: 'authorizer',
      memorySize: memory,
      // The JWKS timeout is at most 4 s; an authorizer that needs longer is failing anyway.
      timeout: Duration.seconds(10),
      role,
      logGroup,
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
        [AUTHORIZER_CONFIG_ENV]: Lazy.string({
          produce: () => renderAuthorizerConfig(this, this.configParts()),
        }),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    acknowledgeKeygateRuntime(fn);
    return fn;
  }

  /** Token binding: the DPoP replay table, and a check at synth that every bound route is registered. */
  private bindTokens(binding: TokenBindingOptions, fn: lambda.Function): void {
    if (binding.dpop) this.replayTableName = dpopReplayTable(this, fn, binding.dpop.replayTable).tableName;
    warnCacheOff(this, binding);
    this.node.addValidation({ validate: () => unregisteredBoundRoutes(binding, new Set(this.routeKeys)) });
  }

  /**
   * Answers REST requests with the API key of the caller's usage tier (`usageIdentifierKey`), read from
   * the given secrets (SecuredRestApi `usageTiers` calls this). One REST API's tiers per authorizer.
   * @internal
   */
  public _useUsageKeys(usage: UsageKeysConfig, keySecrets: secretsmanager.ISecret[]): void {
    if (this.usage) {
      throw new KeygateValidationError(
        this,
        'usageTiers',
        'KeygateAuthorizer: usage tiers are set by another API already; give each API with usageTiers its own authorizer',
      );
    }
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
        throw new KeygateValidationError(
          this,
          'auth',
          `KeygateAuthorizer: route ${key} is already registered with a different authorization`,
        );
      }
      return;
    }
    this.checkNewRoute(route, spec, key);
    this.routes.push(spec);
    if (route.browser) this.browserRoutes.push(key);
    try {
      checkAuthorizerConfig(this, this.configParts());
    } catch (e) {
      this.routes.pop();
      if (route.browser) this.browserRoutes.pop();
      throw e;
    }
  }

  /** The checks of one new route that the runtime configuration cannot word in the route's own terms. */
  private checkNewRoute(route: AuthorizerRouteOptions, spec: RouteSpec, key: string): void {
    if (route.browser && !this.sessions) {
      throw new KeygateValidationError(
        this,
        'browser',
        `KeygateAuthorizer: route ${key} is marked browser, which needs the browserSessions prop`,
      );
    }
    // A browser is sent to sign-in when it opens a page: only a GET route Keycloak decides is one.
    if (route.browser && (spec.method !== 'GET' || spec.auth !== 'keycloak')) {
      throw new KeygateValidationError(
        this,
        'browser',
        `KeygateAuthorizer: route ${key} is marked browser, which only a GET route with Keycloak auth can be`,
      );
    }
    if (
      this.responseMode === AuthorizerResponseMode.SIMPLE &&
      this.resultsCacheTtlSeconds > 0 &&
      spec.auth === 'keycloak' &&
      boundParams(spec.requirement).length > 0
    ) {
      throw new KeygateValidationError(
        this,
        'resultsCacheTtl',
        `KeygateAuthorizer: resultsCacheTtl must be 0 with responseMode SIMPLE, because route ${key} binds a path ` +
          'parameter and a cached simple answer is keyed by the route, not by the concrete path',
      );
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
   * The REST API REQUEST authorizer of `api`, backed by this function. API Gateway binds an authorizer to
   * one REST API, so each API gets its own, created on the first call and returned again on later calls
   * for the same API; binding it to another API fails at synth (aws-cdk's RequestAuthorizer refuses a
   * second API).
   */
  public restAuthorizer(api: apigw.IRestApi): apigw.IAuthorizer {
    const known = this.restAuthorizers.get(api);
    if (known) return known;
    // The first API's authorizer keeps the id it has always had, so its logical id is stable; each
    // further API's is named after that API, not after the order of the calls.
    const id =
      this.restAuthorizers.size === 0 ? 'RestAuthorizer' : `RestAuthorizer${Names.nodeUniqueId(api.node)}`;
    const authorizer = new apigw.RequestAuthorizer(this, id, {
      handler: this.handler,
      identitySources: this.hasAlternateSource() ? [] : [apigw.IdentitySource.header(this.tokenHeader)],
      resultsCacheTtl: Duration.seconds(this.resultsCacheTtlSeconds),
    });
    this.restAuthorizers.set(api, authorizer);
    return authorizer;
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
    return authorizerMetric(this.metricNamespace, 'Denials', props);
  }

  /** Count of requests without a valid token (401), per 5 minutes. */
  public metricUnauthorized(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return authorizerMetric(this.metricNamespace, 'Unauthorized', props);
  }

  /** Count of failed JWKS fetches, per 5 minutes. */
  public metricJwksFetchFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return authorizerMetric(this.metricNamespace, 'JwksFetchFailures', props);
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
    return authorizerMetric(this.metricNamespace, 'Decisions', {
      ...props,
      dimensionsMap: { Decision: decision, Reason: reason },
    });
  }

  /** Count of error-level log lines (internal errors, invalid configuration), per 5 minutes. */
  public metricLoggedErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return authorizerMetric(this.metricNamespace, 'LoggedErrors', props);
  }

  private hasAlternateSource(): boolean {
    return this.tokenCookie !== undefined || this.tokenQuery !== undefined || this.sessions !== undefined;
  }

  /** What the configuration is made of, as it stands (routes are added until synth). */
  private configParts(): AuthorizerConfigParts {
    return {
      issuers: this.issuers,
      routes: this.routes,
      browserRoutes: this.browserRoutes,
      tokenHeader: this.tokenHeader,
      tokenCookie: this.tokenCookie,
      tokenCookieOrigins: this.tokenCookieOrigins,
      tokenQuery: this.tokenQuery,
      responseMode: this.responseMode === AuthorizerResponseMode.SIMPLE ? 'simple' : 'iam',
      resultCacheTtlSeconds: this.resultsCacheTtlSeconds,
      runtimeOptions: this.runtimeOptions,
      sessions: this.sessions,
      revocation: this.revocation,
      usage: this.usage,
      tokenBinding: this.tokenBinding,
      replayTableName: this.replayTableName,
    };
  }
}
