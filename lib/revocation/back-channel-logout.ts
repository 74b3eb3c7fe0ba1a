import { Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RevocationConfig } from '../../common/revocation';
import type { BackChannelLogoutConfig } from '../../common/back-channel-logout';
import { REVOCATION_DEFAULTS, REVOCATION_TABLE } from '../../common/revocation';
import {
  BACKCHANNEL_LOGOUT_CONFIG_ENV,
  BACKCHANNEL_LOGOUT_PATH,
  validateBackChannelLogoutConfig,
} from '../../common/back-channel-logout';
import { acknowledgeKeygateRuntime, functionScaffolding } from '../internal/function-scaffolding';
import { keygateFunction } from '../internal/lambda-code';
import { KeygateValidationError } from '../internal/validation-error';

const OPEN_ROUTE_REASON =
  'The issuer calls the back-channel logout endpoint server to server; the logout token it posts is signed by the issuer and verified by the function.';

/** One realm whose logout tokens the endpoint accepts. */
export interface BackChannelLogoutIssuer {
  /** Exact `iss` of the realm, e.g. `https://sso.example.com/realms/ml`. */
  readonly issuer: string;
  /** Clients whose sessions may be logged out (a logout token's `aud`): those with the logout URL registered. */
  readonly clientIds: string[];
  /** @default `${issuer}/protocol/openid-connect/certs` */
  readonly jwksUri?: string;
}

export interface BackChannelLogoutProps {
  readonly issuers: BackChannelLogoutIssuer[];
  /**
   * A logged-out session stops working within this time (1 s to 5 minutes). Authorizers that check the
   * list cap their result cache TTL at it.
   * @default Duration.seconds(30)
   */
  readonly bound?: Duration;
  /**
   * How long a revocation is kept: at least the realm's longest token lifetime (SSO Session Max, or the
   * access token lifespan if longer), or a token issued before the logout could work again afterwards.
   * @default Duration.hours(10) (Keycloak's default SSO Session Max)
   */
  readonly retention?: Duration;
  /** @default RemovalPolicy.DESTROY (the list is short-lived state, rebuilt by the next logouts) */
  readonly removalPolicy?: RemovalPolicy;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * OpenID Connect Back-Channel Logout for Keygate: the revocation list (a DynamoDB table with TTL), the
 * function the issuer POSTs logout tokens to, and its route on an API (`POST /auth/backchannel-logout`,
 * no authorizer). Pass it to `KeygateAuthorizer`'s `revocation` to refuse tokens of logged-out sessions;
 * register `<API URL>/auth/backchannel-logout` as the clients' back-channel logout URL (the realm
 * definition does). See docs/revocation.md.
 */
export class BackChannelLogout extends Construct {
  public readonly table: dynamodb.Table;
  public readonly function: lambda.IFunction;
  public readonly logGroup: logs.ILogGroup;
  /** The bound, in seconds. */
  public readonly boundSeconds: number;
  private readonly httpIntegration: HttpLambdaIntegration;
  private readonly restIntegration: apigw.LambdaIntegration;

  constructor(scope: Construct, id: string, props: BackChannelLogoutProps) {
    super(scope, id);
    this.boundSeconds = wholeSeconds(
      this,
      props.bound,
      'bound',
      REVOCATION_DEFAULTS.boundSeconds,
      1,
      REVOCATION_DEFAULTS.maxBoundSeconds,
    );
    const retentionSeconds = wholeSeconds(
      this,
      props.retention,
      'retention',
      REVOCATION_DEFAULTS.retentionSeconds,
      60,
      REVOCATION_DEFAULTS.maxRetentionSeconds,
    );
    const config: BackChannelLogoutConfig = {
      issuers: props.issuers.map((i) => ({
        issuer: i.issuer,
        audiences: [...i.clientIds],
        ...(i.jwksUri !== undefined ? { jwksUri: i.jwksUri } : {}),
      })),
      retentionSeconds,
    };
    if (!props.issuers.some((i) => Token.isUnresolved(i.issuer) || Token.isUnresolved(i.jwksUri))) {
      const checked = validateBackChannelLogoutConfig(config);
      if (!checked.ok)
        throw new KeygateValidationError(this, 'issuers', `BackChannelLogout: ${checked.errors.join('; ')}`);
    }

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: REVOCATION_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: REVOCATION_TABLE.ttlAttribute,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });

    const { logGroup, role } = functionScaffolding(this, {
      roleDescription: 'Keygate back-channel logout: writes its log group and the revocation list',
      logRetention: props.logRetention,
    });
    this.logGroup = logGroup;
    const fn = keygateFunction(this, 'Function', {
      entry: 'back-channel-logout',
      memorySize: 256,
      // A JWKS fetch and two DynamoDB writes; the issuer waits for the answer.
      timeout: Duration.seconds(10),
      role,
      logGroup: this.logGroup,
      description: 'Keygate back-channel logout: puts logged-out sessions on the revocation list',
      environment: {
        [BACKCHANNEL_LOGOUT_CONFIG_ENV]: Stack.of(this).toJsonString({
          ...config,
          tableName: this.table.tableName,
        }),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    acknowledgeKeygateRuntime(fn);
    this.table.grant(fn, 'dynamodb:PutItem');
    this.function = fn;
    this.httpIntegration = new HttpLambdaIntegration('BackChannelLogoutIntegration', fn, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    this.restIntegration = new apigw.LambdaIntegration(fn, { proxy: true });
  }

  /**
   * @internal The authorizer configuration's `revocation` block. `probe`: for synth-time validation, where
   * the table name (a deploy-time value) is replaced by a stand-in of the same shape.
   */
  public _authorizerConfig(probe = false): RevocationConfig {
    return {
      boundSeconds: this.boundSeconds,
      tableName: probe ? 'keygate-revocation-probe' : this.table.tableName,
    };
  }

  /** Lets an authorizer read the list (one BatchGetItem per check). */
  public grantCheck(grantee: iam.IGrantable): iam.Grant {
    return this.table.grant(grantee, 'dynamodb:BatchGetItem');
  }

  /** Adds `POST /auth/backchannel-logout` to an HTTP API, without an authorizer. */
  public addToHttpApi(api: apigwv2.IHttpApi): void {
    const route = new apigwv2.HttpRoute(this, `Route${Names.nodeUniqueId(api.node)}`, {
      httpApi: api,
      routeKey: apigwv2.HttpRouteKey.with(BACKCHANNEL_LOGOUT_PATH, apigwv2.HttpMethod.POST),
      integration: this.httpIntegration,
    });
    Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: OPEN_ROUTE_REASON });
  }

  /** Adds `POST /auth/backchannel-logout` to a REST API, with authorization NONE. */
  public addToRestApi(api: apigw.IRestApi): void {
    const method = api.root.resourceForPath(BACKCHANNEL_LOGOUT_PATH).addMethod('POST', this.restIntegration, {
      authorizationType: apigw.AuthorizationType.NONE,
    });
    Validations.of(method).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: OPEN_ROUTE_REASON },
      { id: 'AwsSolutions-COG4', reason: OPEN_ROUTE_REASON },
    );
  }
}

/**
 * The result cache TTL of an authorizer that checks the list: at most the bound. An explicit TTL above it
 * is a mistake (synth fails naming both); the default TTL is lowered to it.
 */
export function revocationCacheTtl(
  scope: Construct,
  ttlSeconds: number,
  explicit: boolean,
  logout: BackChannelLogout | undefined,
): number {
  if (logout === undefined || ttlSeconds <= logout.boundSeconds) return ttlSeconds;
  if (explicit) {
    throw new KeygateValidationError(
      scope,
      'resultsCacheTtl',
      `KeygateAuthorizer: resultsCacheTtl (${ttlSeconds} s) must not exceed the revocation bound (${logout.boundSeconds} s): ` +
        'a cached answer would let a logged-out session work for longer',
    );
  }
  return logout.boundSeconds;
}

function wholeSeconds(
  scope: Construct,
  d: Duration | undefined,
  field: string,
  dflt: number,
  min: number,
  max: number,
): number {
  if (d === undefined) return dflt;
  const s = d.toSeconds();
  if (!Number.isInteger(s) || s < min || s > max)
    throw new KeygateValidationError(
      scope,
      field,
      `BackChannelLogout: ${field} must be a whole number of seconds from ${min} to ${max}, got ${s}`,
    );
  return s;
}
