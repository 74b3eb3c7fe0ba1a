import { Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { REST_API_RESOURCE_POLICY_CHARS } from '../../common/aws-limits';
import { ACCESS_DENIED_HTML } from '../../common/gateway-responses';
import { STEP_UP_CONTEXT_KEY } from '../../common/step-up';
import type { KeygateAuthorizer } from '../authorizer/keygate-authorizer';
import { restAccessLogFormat } from './access-log';
import { acknowledgeRouteGrant } from './grant-evidence';
import type { SecuredApiCorsOptions, SecuredApiThrottle, SecuredRouteOptions } from './route-table';
import {
  DEFAULT_CORS_HEADERS,
  DEFAULT_THROTTLE,
  RouteTable,
  checkCors,
  executeApiMethod,
  executeApiPath,
} from './route-table';
import { validateThrottle } from './secured-http-api';
import type { UsageTiersOptions } from './usage-plans';
import { UsageTierPlans, usageTiersConfig } from './usage-plans';
import { IamTierApi } from './iam-tier-api';
import { hasIamTiers } from '../../common/usage-tiers-iam';
import { KeygateValidationError } from '../internal/validation-error';
import { acknowledgeWebAclChoice } from '../internal/api-acknowledgements';

/** Properties of a secured REST API. */
export interface SecuredRestApiProps {
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
   * CORS for browser callers (preflight answered by a mock integration, without authorization; 4XX/5XX
   * gateway responses carry the CORS headers too).
   * @default - no CORS
   */
  readonly cors?: SecuredApiCorsOptions;
  /**
   * Stage-wide throttling.
   * @default - 100 requests per second, bursts of 200
   */
  readonly throttle?: SecuredApiThrottle;
  /**
   * Stage name.
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * Retention of the JSON access log.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * Whether to set the account-wide API Gateway CloudWatch role (`AWS::ApiGateway::Account`), which REST
   * access and execution logs need (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
   * It is one setting per account and region, which a stack should not take over unasked, so it is off as
   * in aws-cdk-lib's RestApi; turn it on in the one stack of the account that owns the setting. Without the
   * role in the account, deploying fails with "CloudWatch Logs role ARN must be set in account settings to
   * enable logging".
   * @default false
   */
  readonly configureAccountLogRole?: boolean;
  /**
   * Name of the API.
   * @default - the construct's unique id
   */
  readonly apiName?: string;
  /**
   * Per-caller throttles and quotas: one usage plan and API key per tier, the API's key source set to
   * AUTHORIZER and every Keycloak method requiring a key, which the authorizer supplies for the caller's
   * tier (docs/quotas.md). Needs `authorizer`. With `roleArn` assignments the IAM routes move to a
   * companion REST API (`iamApi`, key source HEADER) whose callers send their tier's key as `X-API-Key`;
   * without, IAM routes stay under the stage throttle. Cognito routes stay under the stage throttle.
   * @default - no usage plans: the stage throttle alone
   */
  readonly usageTiers?: UsageTiersOptions;
}

/** The longest integration timeout a streaming method may have. */
const STREAM_INTEGRATION_TIMEOUT = Duration.minutes(15);

/** JSON bodies of the gateway's own error answers. `$context.error.messageString` is already quoted. */
const GATEWAY_RESPONSES: readonly {
  id: string;
  type: apigw.ResponseType;
  status?: string;
  error: string;
  extra?: string;
}[] = [
  { id: 'Unauthorized', type: apigw.ResponseType.UNAUTHORIZED, status: '401', error: 'unauthorized' },
  // A browser route without a session is denied with a sign-in URL in the authorizer context (the
  // authorizer builds it URL-encoded, so it cannot break out of the JSON string).
  {
    id: 'AccessDenied',
    type: apigw.ResponseType.ACCESS_DENIED,
    status: '403',
    error: 'forbidden',
    extra: ',"signIn":"$context.authorizer.signIn"',
  },
  {
    id: 'MissingToken',
    type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: '403',
    error: 'missing_authentication',
  },
  {
    id: 'AuthorizerFailure',
    type: apigw.ResponseType.AUTHORIZER_FAILURE,
    status: '500',
    error: 'authorizer_failure',
  },
  {
    id: 'AuthorizerConfigError',
    type: apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    status: '500',
    error: 'authorizer_failure',
  },
  { id: 'Default4xx', type: apigw.ResponseType.DEFAULT_4XX, error: 'client_error' },
  { id: 'Default5xx', type: apigw.ResponseType.DEFAULT_5XX, error: 'server_error' },
];

/**
 * An API Gateway REST API whose every method is protected: Keycloak routes by the Keygate authorizer,
 * IAM routes by SigV4, and optionally routes that only need a signed-in user of a Cognito user pool
 * (API Gateway's native authorizer). JSON 401/403 bodies with CORS headers, throttling, JSON access log.
 * Backends read the caller from `requestContext.authorizer`: a REST Lambda proxy integration passes the
 * client's headers through unchanged, so an `x-keygate-*` header is whatever the caller sent.
 */
export class SecuredRestApi extends Construct {
  /** The REST API. */
  public readonly restApi: apigw.RestApi;
  /** The access log group. */
  public readonly accessLogGroup: logs.ILogGroup;
  /**
   * The stage name, as a literal: grants and the resource policy name the stage without referring to
   * the stage resource (a reference would make the API depend on its own stage).
   */
  public readonly stageName: string;

  private readonly authorizer?: KeygateAuthorizer;
  /** The ACCESS_DENIED gateway response (a step-up route adds its challenge header). */
  private accessDenied?: apigw.GatewayResponse;
  private readonly cognitoAuthorizers = new Map<IUserPool, apigw.CognitoUserPoolsAuthorizer>();
  private readonly table = new RouteTable(this, 'SecuredRestApi');
  private readonly validator: apigw.RequestValidator;
  private readonly usagePlans?: UsageTierPlans;
  /** With `roleArn` tier assignments: the API serving the IAM routes (iam-tier-api.ts). */
  private readonly iamTiers?: IamTierApi;

  constructor(scope: Construct, id: string, props: SecuredRestApiProps = {}) {
    super(scope, id);
    this.authorizer = props.authorizer;
    this.stageName = props.stageName ?? 'prod';
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(this.stageName)) {
      throw new KeygateValidationError(
        this,
        'stageName',
        `SecuredRestApi: stageName must be 1 to 128 letters, digits, _ or -, got '${this.stageName}'`,
      );
    }
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    validateThrottle(this, throttle, 'SecuredRestApi');
    checkCors(this, props.cors, 'SecuredRestApi');

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    this.restApi = new apigw.RestApi(this, 'Api', {
      restApiName: props.apiName ?? Names.uniqueResourceName(this, { maxLength: 128 }),
      description: 'Keygate secured REST API',
      cloudWatchRole: props.configureAccountLogRole ?? false,
      ...(props.usageTiers ? { apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER } : {}),
      deployOptions: {
        stageName: this.stageName,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(restAccessLogFormat()),
        // Execution logs at ERROR only, and never request/response data (it would carry tokens).
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
      // CDK creates the preflight OPTIONS methods with authorization NONE, whatever the other methods use
      // (aws-cdk#22402), so preflight never reaches an authorizer.
      defaultCorsPreflightOptions: props.cors
        ? {
            allowOrigins: [...props.cors.allowOrigins],
            allowHeaders: [...(props.cors.allowHeaders ?? DEFAULT_CORS_HEADERS)],
            allowMethods: apigw.Cors.ALL_METHODS,
            maxAge: props.cors.maxAge ?? Duration.minutes(10),
          }
        : undefined,
    });
    this.validator = new apigw.RequestValidator(this, 'Validator', {
      restApi: this.restApi,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    this.addGatewayResponses(props.cors);
    this.acknowledgeFindings(props.cors !== undefined);
    if (props.usageTiers) {
      this.usagePlans = usageTierPlans(this, this.restApi, props.usageTiers, this.authorizer);
      if (hasIamTiers(usageTiersConfig(props.usageTiers)))
        this.iamTiers = new IamTierApi(this, 'IamTiers', {
          apiName: `${this.restApi.restApiName}-iam`,
          stageName: this.stageName,
          throttle,
          accessLogGroup: this.accessLogGroup,
          plans: this.usagePlans,
          config: usageTiersConfig(props.usageTiers),
          addGatewayResponses: (api) => this.addGatewayResponses(undefined, api),
        });
    }

    for (const route of props.routes ?? []) this.addRoute(route);
    // Measured at synth, when every cross-account grant has added its statement.
    this.node.addValidation({ validate: () => this.resourcePolicyErrors() });
  }

  /** API Gateway's resource policy length quota (common/aws-limits.ts). */
  private resourcePolicyErrors(): string[] {
    const policy: unknown = Stack.of(this).resolve(
      (this.restApi.node.defaultChild as apigw.CfnRestApi).policy,
    );
    if (policy === undefined) return [];
    const length = JSON.stringify(policy).length;
    return length > REST_API_RESOURCE_POLICY_CHARS
      ? [
          `SecuredRestApi: the resource policy is ${length} characters, over API Gateway's ${REST_API_RESOURCE_POLICY_CHARS} ` +
            '(each allowCrossAccountInvoke adds a statement); grant fewer cross-account routes or roles',
        ]
      : [];
  }

  /** The stage URL, e.g. `https://<id>.execute-api.<region>.amazonaws.com/prod/`. */
  public get url(): string {
    return this.restApi.url;
  }

  /**
   * With `roleArn` usage tier assignments, the REST API serving the IAM routes (key source HEADER).
   * @default - none: IAM routes are served by `restApi`
   */
  public get iamApi(): apigw.RestApi | undefined {
    return this.iamTiers?.restApi;
  }

  /** The secret holding the API key a grantee of IAM routes sends, when IAM callers are tiered. */
  public apiKeySecret(grantee: iam.IGrantable): secretsmanager.ISecret | undefined {
    return this.iamTiers?.apiKeySecret(grantee);
  }

  /** Adds a route. */
  public addRoute(route: SecuredRouteOptions): void {
    const at = `SecuredRestApi: routes[${this.table.index}]`;
    const kind = route.auth._kind;
    if (kind === 'keycloak' && !this.authorizer)
      throw new KeygateValidationError(this, 'auth', `${at}: a Keycloak route needs the authorizer prop`);
    this.table.add(route);
    // One invoke permission per API and backend instead of one per method: a function's resource policy
    // holds at most 20 KB (LAMBDA_RESOURCE_POLICY_BYTES), about 50 method-scoped statements. Only the
    // methods this construct integrates with the backend reach it either way.
    const integration = new apigw.LambdaIntegration(route.backend, {
      proxy: true,
      allowTestInvoke: false,
      scopePermissionToMethod: false,
      // STREAM makes API Gateway call InvokeWithResponseStream and pass the function's output on as it
      // arrives; the integration timeout of a streaming method may reach 15 minutes, and the function's
      // own timeout is then the limit that matters
      // (https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode.html).
      ...(route.stream
        ? { responseTransferMode: apigw.ResponseTransferMode.STREAM, timeout: STREAM_INTEGRATION_TIMEOUT }
        : {}),
    });
    if (kind === 'iam' && this.iamTiers) {
      this.iamTiers.addRoute(route, integration);
      return;
    }
    let options: apigw.MethodOptions;
    if (kind === 'keycloak') {
      if (route.auth._requirement?.stepUp !== undefined || this.authorizer!._dpopChallenge)
        this.addStepUpChallenge();
      this.authorizer!.addRoute(route);
      options = {
        authorizationType: apigw.AuthorizationType.CUSTOM,
        authorizer: this.authorizer!.restAuthorizer(this.restApi),
        ...(this.usagePlans ? { apiKeyRequired: true } : {}),
      };
    } else if (kind === 'iam') {
      options = { authorizationType: apigw.AuthorizationType.IAM };
    } else {
      options = {
        authorizationType: apigw.AuthorizationType.COGNITO,
        authorizer: this.cognitoAuthorizer(route.auth._userPool!),
      };
    }
    const method = this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration, {
      ...options,
      requestValidator: this.validator,
    });
    if (kind === 'keycloak') this.usagePlans?.addMethod(`${route.method} ${route.path}`, method);
  }

  /**
   * Allows the grantee (in this account) to call one IAM route: `execute-api:Invoke` on exactly this
   * API, stage, method and path (each path parameter becomes one `*` segment).
   */
  public grantInvoke(grantee: iam.IGrantable, method: HttpMethod, path: string): iam.Grant {
    this.table.grantable(method, path);
    if (this.iamTiers) return this.iamTiers.grantInvoke(grantee, method, path);
    const arn = this.restApi.arnForExecuteApi(executeApiMethod(method), executeApiPath(path), this.stageName);
    acknowledgeRouteGrant(grantee, arn, `${method} ${path}`);
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [arn] });
  }

  /**
   * Lets a principal of another account call one IAM route, through the API's resource policy (the
   * caller's account must still allow it in the caller's own IAM policy). Resource policies and
   * authorizers combine as described in
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
   */
  public allowCrossAccountInvoke(principal: iam.IPrincipal, method: HttpMethod, path: string): void {
    this.table.grantable(method, path);
    if (this.iamTiers)
      throw new KeygateValidationError(
        this,
        'principal',
        'SecuredRestApi.allowCrossAccountInvoke: with roleArn usage tiers every IAM caller reads its API key from Secrets Manager, which a principal of another account cannot do for a secret under the aws/secretsmanager key (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html); grant a role of this account',
      );
    const aws = principal.policyFragment.principalJson.AWS ?? [];
    if (aws.includes('*') || Object.keys(principal.policyFragment.principalJson).some((k) => k !== 'AWS')) {
      throw new KeygateValidationError(
        this,
        'principal',
        'SecuredRestApi.allowCrossAccountInvoke: principal must be an account or an IAM role/user ARN, not * or a service',
      );
    }
    this.restApi.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['execute-api:Invoke'],
        resources: [`execute-api:/${this.stageName}/${executeApiMethod(method)}${executeApiPath(path)}`],
      }),
    );
  }

  private cognitoAuthorizer(pool: IUserPool): apigw.CognitoUserPoolsAuthorizer {
    let authorizer = this.cognitoAuthorizers.get(pool);
    if (!authorizer) {
      authorizer = new apigw.CognitoUserPoolsAuthorizer(
        this,
        `CognitoAuthorizer${this.cognitoAuthorizers.size || ''}`,
        {
          cognitoUserPools: [pool],
        },
      );
      this.cognitoAuthorizers.set(pool, authorizer);
    }
    return authorizer;
  }

  private addGatewayResponses(cors: SecuredApiCorsOptions | undefined, api = this.restApi): void {
    const headers: Record<string, string> = {};
    if (cors) {
      // One origin: stated. Several: the request's Origin is echoed (API Gateway cannot choose from a
      // list here); these bodies carry no data beyond the fixed error, and credentials are never allowed.
      headers['Access-Control-Allow-Origin'] =
        cors.allowOrigins.length === 1 ? `'${cors.allowOrigins[0]}'` : 'method.request.header.Origin';
      headers['Access-Control-Allow-Headers'] = `'${(cors.allowHeaders ?? DEFAULT_CORS_HEADERS).join(',')}'`;
      headers['Vary'] = "'Origin'";
    }
    for (const r of GATEWAY_RESPONSES) {
      const json = `{"error":"${r.error}","message":$context.error.messageString,"requestId":"$context.requestId"${r.extra ?? ''}}`;
      // ACCESS_DENIED has two templates, so its Content-Type is the selected template's, not a fixed header.
      const html = r.type === apigw.ResponseType.ACCESS_DENIED;
      const response = api.addGatewayResponse(r.id, {
        type: r.type,
        ...(r.status ? { statusCode: r.status } : {}),
        responseHeaders: html ? { ...headers } : { ...headers, 'Content-Type': "'application/json'" },
        templates: html
          ? { 'application/json': json, 'text/html': ACCESS_DENIED_HTML }
          : { 'application/json': json },
      });
      if (html && api === this.restApi) this.accessDenied = response;
    }
  }

  /**
   * With a step-up route or DPoP, ACCESS_DENIED also sends the authorizer's challenge (RFC 9470 or RFC 9449:
   * they share one context key, common/token-binding.ts) as WWW-Authenticate:
   * gateway response headers may map `context.*` variables, `$context.authorizer.<key>` included
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-parameter-mapping-sources.html).
   * The status stays 403: it is fixed per response type, and a cached policy cannot answer 401 (docs/step-up.md).
   */
  private addStepUpChallenge(): void {
    const cfn = this.accessDenied?.node.defaultChild as apigw.CfnGatewayResponse | undefined;
    cfn?.addPropertyOverride(
      'ResponseParameters.gatewayresponse\\.header\\.WWW-Authenticate',
      `context.authorizer.${STEP_UP_CONTEXT_KEY}`,
    );
  }

  private acknowledgeFindings(cors: boolean): void {
    acknowledgeWebAclChoice(this.restApi);
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Methods are authorized by the Keygate Lambda authorizer or AWS_IAM; Cognito is used only where a route asks for it.',
    });
    if (cors) {
      Validations.of(this.restApi).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Only the CORS preflight OPTIONS methods (mock integrations) are unauthenticated, as browsers send preflight without credentials.',
      });
    }
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'The account-wide API Gateway logging role uses AmazonAPIGatewayPushToCloudWatchLogs, the policy AWS provides for exactly that role.',
    });
  }
}

/** The usage plans of `usageTiers`, their keys handed to the authorizer. */
function usageTierPlans(
  scope: Construct,
  api: apigw.RestApi,
  tiers: UsageTiersOptions,
  authorizer: KeygateAuthorizer | undefined,
): UsageTierPlans {
  if (!authorizer)
    throw new KeygateValidationError(
      scope,
      'usageTiers',
      'SecuredRestApi: usageTiers needs the authorizer prop (it answers each caller with its tier key)',
    );
  const plans = new UsageTierPlans(scope, 'UsageTiers', api, tiers, 'SecuredRestApi');
  authorizer._useUsageKeys(plans.authorizerBlock(), [...plans.keySecrets.values()]);
  plans.grantCallerKeyRegistration(authorizer.handler);
  return plans;
}
