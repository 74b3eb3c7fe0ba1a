import { Duration, Names, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_API_ROUTES_PER_API } from '../../common/aws-limits';
import type { ContextKey } from '../../common/identity-context';
import { CONTEXT_KEYS, IDENTITY_HEADERS } from '../../common/identity-context';
import type { KeygateAuthorizer } from '../authorizer/keygate-authorizer';
import { httpAccessLogFormat } from './access-log';
import { acknowledgeRouteGrant } from './grant-evidence';
import type { SecuredApiCorsOptions, SecuredApiThrottle, SecuredRouteOptions } from './route-table';
import { refuseUsageTiers } from './usage-plans';
import {
  DEFAULT_CORS_HEADERS,
  DEFAULT_THROTTLE,
  RouteTable,
  checkCors,
  executeApiMethod,
  executeApiPath,
} from './route-table';
import { KeygateValidationError } from '../internal/validation-error';

/** Properties of a secured HTTP API. */
export interface SecuredHttpApiProps {
  /**
   * The Keygate authorizer for Keycloak routes. Required when any route uses `RouteAuth.keycloak`.
   * @default - no Keycloak routes allowed
   */
  readonly authorizer?: KeygateAuthorizer;
  /**
   * Routes to add now (more with `addRoute`).
   * @default - none
   */
  readonly routes?: SecuredRouteOptions[];
  /**
   * CORS for browser callers.
   * @default - no CORS: browsers on other origins cannot call the API
   */
  readonly cors?: SecuredApiCorsOptions;
  /**
   * Stage-wide throttling.
   * @default - 100 requests per second, bursts of 200
   */
  readonly throttle?: SecuredApiThrottle;
  /**
   * Retention of the JSON access log.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * Name of the API.
   * @default - the construct's unique id
   */
  readonly apiName?: string;
}

/**
 * An API Gateway HTTP API whose every route is protected: Keycloak routes by the Keygate authorizer
 * (identity forwarded to the backend in `requestContext.authorizer.lambda`, and as `x-keygate-*` headers
 * that overwrite any the client sent), IAM routes by SigV4. It has one
 * `$default` stage with throttling and a JSON access log.
 */
export class SecuredHttpApi extends Construct {
  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;
  /** Its `$default` stage. */
  public readonly stage: apigwv2.HttpStage;
  /** The access log group. */
  public readonly accessLogGroup: logs.ILogGroup;

  private readonly authorizer?: KeygateAuthorizer;
  private readonly table = new RouteTable(this, 'SecuredHttpApi');
  private readonly integrations = new Map<string, HttpLambdaIntegration>();
  private readonly iamAuthorizer = new HttpIamAuthorizer();
  private readonly corsEnabled: boolean;

  constructor(scope: Construct, id: string, props: SecuredHttpApiProps = {}) {
    super(scope, id);
    this.authorizer = props.authorizer;
    this.corsEnabled = props.cors !== undefined;
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    validateThrottle(this, throttle, 'SecuredHttpApi');
    refuseUsageTiers(this, props, 'SecuredHttpApi');
    checkCors(this, props.cors, 'SecuredHttpApi');

    this.httpApi = new apigwv2.HttpApi(this, 'Api', {
      apiName: props.apiName ?? Names.uniqueResourceName(this, { maxLength: 128 }),
      description: 'Keygate secured HTTP API',
      createDefaultStage: false,
      // API Gateway answers preflight OPTIONS requests itself when CORS is configured and no route
      // matches OPTIONS, so preflight never reaches the authorizer:
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html
      corsPreflight: props.cors
        ? {
            allowOrigins: [...props.cors.allowOrigins],
            allowHeaders: [...(props.cors.allowHeaders ?? DEFAULT_CORS_HEADERS)],
            allowMethods: [apigwv2.CorsHttpMethod.ANY],
            maxAge: props.cors.maxAge ?? Duration.minutes(10),
          }
        : undefined,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(httpAccessLogFormat()),
      },
    });

    for (const route of props.routes ?? []) this.addRoute(route);
    // Counted at synth, so that routes other constructs add to this API (the sign-in routes) count too.
    this.node.addValidation({ validate: () => this.routeQuotaErrors() });
  }

  /** API Gateway's routes-per-API quota (common/aws-limits.ts). */
  private routeQuotaErrors(): string[] {
    const stack = Stack.of(this);
    const api = JSON.stringify(stack.resolve(this.httpApi.apiId));
    const routes = stack.node
      .findAll()
      .filter((c) => c instanceof apigwv2.CfnRoute && JSON.stringify(stack.resolve(c.apiId)) === api).length;
    return routes > HTTP_API_ROUTES_PER_API
      ? [
          `SecuredHttpApi: ${routes} routes exceed the HTTP API quota of ${HTTP_API_ROUTES_PER_API} routes per API; split the API`,
        ]
      : [];
  }

  /** The API's URL (`https://<id>.execute-api.<region>.amazonaws.com/`). */
  public get url(): string {
    return this.stage.url;
  }

  /** Adds a route; its authorization decides the API Gateway authorizer and the header mapping. */
  public addRoute(route: SecuredRouteOptions): void {
    const at = `SecuredHttpApi: routes[${this.table.index}]`;
    const kind = route.auth._kind;
    if (kind === 'cognito-user-pool') {
      throw new KeygateValidationError(
        this,
        'auth',
        `${at}: RouteAuth.cognitoUserPool is for REST APIs; on an HTTP API use RouteAuth.keycloak with a Cognito TrustedIssuer`,
      );
    }
    if (kind === 'keycloak' && !this.authorizer) {
      throw new KeygateValidationError(this, 'auth', `${at}: a Keycloak route needs the authorizer prop`);
    }
    if (route.stream) {
      // HTTP API Lambda integrations buffer the whole answer; only REST APIs have response transfer mode
      // STREAM (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html).
      throw new KeygateValidationError(
        this,
        'stream',
        `${at}.stream: ${route.method} ${route.path} streams its answer, and HTTP APIs cannot stream responses; serve it from a SecuredRestApi`,
      );
    }
    if (
      this.corsEnabled &&
      (route.method === apigwv2.HttpMethod.ANY || route.method === apigwv2.HttpMethod.OPTIONS)
    ) {
      throw new KeygateValidationError(
        this,
        'method',
        `${at}.method: ${route.method} would catch CORS preflight requests and send them to the authorizer; list the methods explicitly`,
      );
    }
    this.table.add(route);
    if (kind === 'keycloak') this.authorizer!.addRoute(route);
    this.httpApi.addRoutes({
      path: route.path,
      methods: [route.method],
      integration: this.integrationFor(route.backend, kind === 'keycloak'),
      authorizer: kind === 'keycloak' ? this.authorizer!.httpAuthorizer() : this.iamAuthorizer,
    });
  }

  /**
   * Allows the grantee to call one IAM route: `execute-api:Invoke` on exactly this API, its stage, the
   * method and the path (each path parameter becomes one `*` segment). HTTP APIs have no resource
   * policies, so callers in other accounts assume a role of this account instead:
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
   */
  public grantInvoke(grantee: iam.IGrantable, method: apigwv2.HttpMethod, path: string): iam.Grant {
    this.table.grantable(method, path);
    const arn = this.httpApi.arnForExecuteApi(
      executeApiMethod(method),
      executeApiPath(path),
      this.stage.stageName,
    );
    acknowledgeRouteGrant(grantee, arn, `${method} ${path}`);
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [arn] });
  }

  /**
   * One integration per backend and kind. Keycloak routes get the identity headers from the authorizer
   * context; `overwrite` replaces any header of that name the client sent, so identity cannot be spoofed:
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-parameter-mapping.html
   * IAM routes have no authorizer context: the same headers are removed instead.
   */
  private integrationFor(backend: IFunction, keycloak: boolean): HttpLambdaIntegration {
    const key = `${Names.nodeUniqueId(backend.node)}:${keycloak ? 'keycloak' : 'iam'}`;
    let integration = this.integrations.get(key);
    if (!integration) {
      const mapping = new apigwv2.ParameterMapping();
      for (const k of Object.keys(CONTEXT_KEYS) as ContextKey[]) {
        if (keycloak)
          mapping.overwriteHeader(
            IDENTITY_HEADERS[k],
            apigwv2.MappingValue.contextVariable(`authorizer.${CONTEXT_KEYS[k]}`),
          );
        else mapping.removeHeader(IDENTITY_HEADERS[k]);
      }
      integration = new HttpLambdaIntegration(`Integration${this.integrations.size}`, backend, {
        parameterMapping: mapping,
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        // One invoke permission per API and backend instead of one per route: a function's resource
        // policy holds at most 20 KB (LAMBDA_RESOURCE_POLICY_BYTES), about 50 route-scoped statements.
        // Only the routes this construct integrates with the backend reach it either way.
        scopePermissionToRoute: false,
      });
      this.integrations.set(key, integration);
    }
    return integration;
  }
}

/** @internal */
export function validateThrottle(scope: Construct, throttle: SecuredApiThrottle, owner: string): void {
  if (!Number.isFinite(throttle.rateLimit) || throttle.rateLimit <= 0) {
    throw new KeygateValidationError(
      scope,
      'throttle.rateLimit',
      `${owner}: throttle.rateLimit must be a positive number, got ${throttle.rateLimit}`,
    );
  }
  if (!Number.isInteger(throttle.burstLimit) || throttle.burstLimit <= 0) {
    throw new KeygateValidationError(
      scope,
      'throttle.burstLimit',
      `${owner}: throttle.burstLimit must be a positive integer, got ${throttle.burstLimit}`,
    );
  }
}
