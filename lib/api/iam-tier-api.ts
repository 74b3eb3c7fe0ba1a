import { Names, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { UsageTiersConfig } from '../../common/usage-tiers';
import { tierForRoleArn } from '../../common/usage-tiers';
import { restAccessLogFormat } from './access-log';
import { acknowledgeRouteGrant } from './grant-evidence';
import type { SecuredApiThrottle, SecuredRouteOptions } from './route-table';
import { executeApiMethod, executeApiPath } from './route-table';
import type { UsageTierPlans } from './usage-plans';
import { usageKeyValueSecret } from './usage-plans';
import { acknowledgeWebAclChoice } from '../internal/api-acknowledgements';

/** What the companion shares with its SecuredRestApi. */
export interface IamTierApiProps {
  /** Name of the companion REST API. */
  readonly apiName: string;
  /** The stage name, the same as the Keycloak API's. */
  readonly stageName: string;
  /** The stage throttle, the same as the Keycloak API's. */
  readonly throttle: SecuredApiThrottle;
  /** The access log group, shared with the Keycloak API. */
  readonly accessLogGroup: logs.ILogGroup;
  /** The tiers' usage plans: each gets this API's stage too. */
  readonly plans: UsageTierPlans;
  /** The tiers, for each role's tier (its `roleArn` assignment, else the default tier). */
  readonly config: UsageTiersConfig;
  /** Gateway responses to give the API (the Keycloak API's JSON bodies). */
  readonly addGatewayResponses: (api: apigw.RestApi) => void;
}

/**
 * The REST API that serves a SecuredRestApi's IAM routes when usage tiers assign IAM roles: API key
 * source `HEADER`, every method `AWS_IAM` with `apiKeyRequired`, its stage in every tier's usage plan.
 * Each granted role reads its API key from Secrets Manager and sends it as `X-API-Key` beside the SigV4
 * signature (client/api-key.ts). Why a second API: common/usage-tiers-iam.ts.
 *
 * Keys: a role in a pooled tier sends the tier's own key (the secret the authorizer reads), so it shares
 * the tier's bucket and quota with the tier's Keycloak callers, as the usage plan counts per key across
 * its API stages; a role in a per-caller tier gets a key of its own (a generated secret, an API key in the
 * tier's plan). The template holds only `{{resolve:secretsmanager:...}}` references
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html);
 * only the role granted a route (and, for a pooled tier's secret, the authorizer) may read a secret.
 */
export class IamTierApi extends Construct {
  /** The companion REST API. */
  public readonly restApi: apigw.RestApi;

  private readonly props: IamTierApiProps;
  private readonly validator: apigw.RequestValidator;
  /** Per role (its ARN, or its construct id when the ARN is a token): the secret it reads. */
  private readonly roleKeys = new Map<string, secretsmanager.ISecret>();

  constructor(scope: Construct, id: string, props: IamTierApiProps) {
    super(scope, id);
    this.props = props;
    this.restApi = new apigw.RestApi(this, 'Api', {
      restApiName: props.apiName,
      description: 'Keygate IAM routes under usage tiers (API key in the X-API-Key header)',
      cloudWatchRole: false,
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      deployOptions: {
        stageName: props.stageName,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(props.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.custom(restAccessLogFormat()),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });
    this.validator = new apigw.RequestValidator(this, 'Validator', {
      restApi: this.restApi,
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    props.addGatewayResponses(this.restApi);
    for (const plan of props.plans.plans.values())
      plan.addApiStage({ api: this.restApi, stage: this.restApi.deploymentStage });
    acknowledgeWebAclChoice(this.restApi);
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Every method of this API is authorized with AWS_IAM (SigV4) and requires an API key.',
    });
  }

  /** The stage URL. */
  public get url(): string {
    return this.restApi.url;
  }

  /** Adds an IAM route: AWS_IAM and a required API key. */
  public addRoute(route: SecuredRouteOptions, integration: apigw.Integration): apigw.Method {
    return this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration, {
      authorizationType: apigw.AuthorizationType.IAM,
      apiKeyRequired: true,
      requestValidator: this.validator,
    });
  }

  /**
   * Lets the grantee call one route of this API (`execute-api:Invoke` on exactly that method) and read
   * the API key of its tier.
   */
  public grantInvoke(grantee: iam.IGrantable, method: HttpMethod, path: string): iam.Grant {
    const arn = this.restApi.arnForExecuteApi(
      executeApiMethod(method),
      executeApiPath(path),
      this.props.stageName,
    );
    acknowledgeRouteGrant(grantee, arn, `${method} ${path}`);
    this.apiKeySecret(grantee).grantRead(grantee);
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [arn] });
  }

  /**
   * The secret holding the API key the grantee sends: its tier's key in a pooled tier, a key of its own
   * in a per-caller tier (created on first use).
   */
  public apiKeySecret(grantee: iam.IGrantable): secretsmanager.ISecret {
    const roleArn = (grantee as Partial<iam.IRole>).roleArn;
    const known = roleArn !== undefined && !Token.isUnresolved(roleArn) ? roleArn : undefined;
    const { config, plans } = this.props;
    const tier = tierForRoleArn(known, config.assignments ?? [], config.defaultTier);
    if (config.tiers[tier]?.perCaller !== true) return plans.keySecrets.get(tier)!;
    const id = known ?? Names.nodeUniqueId((grantee as unknown as Construct).node);
    let secret = this.roleKeys.get(id);
    if (secret === undefined) {
      secret = this.roleKey(tier, this.roleKeys.size);
      this.roleKeys.set(id, secret);
    }
    return secret;
  }

  /** A per-caller tier's key for one role: a generated secret and an API key in the tier's plan. */
  private roleKey(tier: string, n: number): secretsmanager.ISecret {
    const secret = usageKeyValueSecret(this, `Role${n}-KeyValue`, {
      description: `Keygate usage tier ${tier}: the API key an IAM role sends as X-API-Key`,
      whyNoRotation:
        'An API key value selects a usage plan, it authorizes nothing (the route is authorized by SigV4); rotating it needs a new API key resource, not a rotation Lambda.',
    });
    this.props.plans.plans.get(tier)!.addApiKey(
      new apigw.ApiKey(this, `Role${n}-Key`, {
        description: `Keygate usage tier ${tier}: the API key of one IAM role`,
        value: secret.secretValue.unsafeUnwrap(),
      }),
    );
    return secret;
  }
}
