import type { Duration } from 'aws-cdk-lib';
import { Aws, Names, Stack } from 'aws-cdk-lib';
import type {
  HttpRouteAuthorizerBindOptions,
  HttpRouteAuthorizerConfig,
  IHttpApi,
  IHttpRouteAuthorizer,
  CfnAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { AuthorizerPayloadVersion, HttpAuthorizer, HttpAuthorizerType } from 'aws-cdk-lib/aws-apigatewayv2';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';

/** @internal */
export interface KeygateHttpRouteAuthorizerProps {
  readonly handler: IFunction;
  readonly name: string;
  readonly identitySource: string[];
  readonly resultsCacheTtl: Duration;
  readonly simpleResponses: boolean;
}

/**
 * An HTTP API Lambda REQUEST authorizer with payload format 2.0 in both answer forms. CDK's
 * HttpLambdaAuthorizer pins payload 1.0 whenever answers are IAM policies; Keygate wants 2.0 for both
 * (its event carries the route key), which API Gateway supports:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
 * One instance serves several HTTP APIs: it creates one authorizer per API it is bound to.
 * @internal
 */
export class KeygateHttpRouteAuthorizer implements IHttpRouteAuthorizer {
  public readonly authorizationType = 'CUSTOM';
  private readonly perApi = new Map<IHttpApi, HttpAuthorizer>();

  constructor(private readonly props: KeygateHttpRouteAuthorizerProps) {}

  public bind(options: HttpRouteAuthorizerBindOptions): HttpRouteAuthorizerConfig {
    const api = options.route.httpApi;
    let authorizer = this.perApi.get(api);
    if (!authorizer) {
      authorizer = new HttpAuthorizer(options.scope, `KeygateAuthorizer${this.perApi.size || ''}`, {
        httpApi: api,
        type: HttpAuthorizerType.LAMBDA,
        authorizerName: this.props.name,
        identitySource: this.props.identitySource,
        payloadFormatVersion: AuthorizerPayloadVersion.VERSION_2_0,
        enableSimpleResponses: this.props.simpleResponses,
        resultsCacheTtl: this.props.resultsCacheTtl,
        authorizerUri:
          `arn:${Aws.PARTITION}:apigateway:${Stack.of(options.scope).region}:lambda:path/2015-03-31/functions/` +
          `${this.props.handler.functionArn}/invocations`,
      });
      if (this.props.identitySource.length === 0) {
        // Without caching the identity source is optional; an empty one must not be sent, or API Gateway
        // would 401 every request that lacks a listed source before calling the authorizer.
        (authorizer.node.defaultChild as CfnAuthorizer).addPropertyDeletionOverride('IdentitySource');
      }
      this.props.handler.addPermission(`${Names.nodeUniqueId(authorizer.node)}-Permission`, {
        scope: options.scope,
        principal: new ServicePrincipal('apigateway.amazonaws.com'),
        sourceArn: Stack.of(options.scope).formatArn({
          service: 'execute-api',
          resource: api.apiId,
          resourceName: `authorizers/${authorizer.authorizerId}`,
        }),
      });
      this.perApi.set(api, authorizer);
    }
    return { authorizerId: authorizer.authorizerId, authorizationType: this.authorizationType };
  }
}
