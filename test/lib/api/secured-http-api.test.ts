import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it, test } from 'vitest';
import { CONTEXT_KEYS, IDENTITY_HEADERS } from '../../../common/identity-context';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredHttpApi } from '../../../lib/api/secured-http-api';
import { inlineBackend, invokeGrantDocument, newStack } from '../helpers';
import { expectValidationError } from '../validation';
import { authorizerFor } from '../../support/keycloak-authorizer';

describe('SecuredHttpApi', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN Keycloak and IAM routes on one backend, CORS and throttling
    const { stack } = newStack();
    const backend = inlineBackend(stack);
    const api = new SecuredHttpApi(stack, 'Api', {
      authorizer: authorizerFor(stack),
      cors: { allowOrigins: ['https://app.example.com'] },
      throttle: { rateLimit: 20, burstLimit: 40 },
      routes: [
        {
          method: HttpMethod.GET,
          path: '/models',
          backend,
          auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model-user'] })),
        },
        { method: HttpMethod.POST, path: '/machine/models/{modelId}/invoke', backend, auth: RouteAuth.iam() },
      ],
    });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountPrincipal('111122223333') });
    api.grantInvoke(caller, HttpMethod.POST, '/machine/models/{modelId}/invoke');
    // WHEN
    template = Template.fromStack(stack);
  });

  test('protects Keycloak routes with the Keygate authorizer', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /models',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.stringLikeRegexp('^ApiKeygateAuthorizer') },
    });
  });

  test('protects IAM routes with AWS_IAM', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /machine/models/{modelId}/invoke',
      AuthorizationType: 'AWS_IAM',
    });
  });

  test('creates no unauthenticated route', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.AuthorizationType)).not.toContain('NONE');
    expect(routes.filter((r) => r.Properties.AuthorizationType === undefined)).toEqual([]);
    expect(routes).toHaveLength(2);
  });

  test('answers CORS preflight at the gateway, without an OPTIONS route that could reach the authorizer', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: ['https://app.example.com'],
        AllowHeaders: ['Authorization', 'Content-Type'],
        AllowMethods: ['*'],
        MaxAge: 600,
      },
    });
    const keys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey as string,
    );
    expect(keys.filter((k) => k.startsWith('OPTIONS') || k.startsWith('ANY'))).toEqual([]);
  });

  test('overwrites every identity header from the authorizer context on Keycloak routes', () => {
    const expected = Object.fromEntries(
      (Object.keys(CONTEXT_KEYS) as (keyof typeof CONTEXT_KEYS)[]).map((k) => [
        `overwrite:header.${IDENTITY_HEADERS[k]}`,
        `$context.authorizer.${CONTEXT_KEYS[k]}`,
      ]),
    );
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      PayloadFormatVersion: '2.0',
      RequestParameters: expected,
    });
  });

  test('removes every identity header on IAM routes, where there is no authorizer context', () => {
    const expected = Object.fromEntries(
      Object.values(IDENTITY_HEADERS).map((h) => [`remove:header.${h}`, '']),
    );
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { RequestParameters: expected });
  });

  test('throttles the stage and writes a JSON access log', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] },
        Format: Match.serializedJson(
          Match.objectLike({
            requestId: '$context.requestId',
            status: '$context.status',
            sub: '$context.authorizer.sub',
          }),
        ),
      },
    });
  });

  test('grants execute-api:Invoke on exactly that API, stage, method and path', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: invokeGrantDocument('eu-west-1', 'Api', '/$default/POST/machine/models/*/invoke'),
    });
  });
});

describe('SecuredHttpApi validation', () => {
  function setup(): { stack: Stack; backend: lambda.IFunction; api: SecuredHttpApi } {
    const { stack } = newStack();
    const backend = inlineBackend(stack);
    const api = new SecuredHttpApi(stack, 'Api', {
      authorizer: authorizerFor(stack),
      cors: { allowOrigins: ['https://app.example.com'] },
      routes: [
        { method: HttpMethod.GET, path: '/models', backend, auth: RouteAuth.keycloak() },
        { method: HttpMethod.GET, path: '/machine/models', backend, auth: RouteAuth.iam() },
      ],
    });
    return { stack, backend, api };
  }

  test('rejects a grant on a route the API does not have', () => {
    const { stack, api } = setup();
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    expectValidationError(
      () => api.grantInvoke(role, HttpMethod.POST, '/machine/models'),
      'path',
      'SecuredHttpApi.grantInvoke: no route POST /machine/models on this API',
    );
  });

  it.each<[string, (s: ReturnType<typeof setup>) => void, string, string]>([
    [
      'an ANY route while CORS is on',
      ({ api, backend }) =>
        api.addRoute({ method: HttpMethod.ANY, path: '/files', backend, auth: RouteAuth.keycloak() }),
      'method',
      'SecuredHttpApi: routes[2].method: ANY would catch CORS preflight requests and send them to the authorizer; list the methods explicitly',
    ],
    [
      'a Cognito user-pools route',
      ({ api, backend, stack }) =>
        api.addRoute({
          method: HttpMethod.GET,
          path: '/pool',
          backend,
          auth: RouteAuth.cognitoUserPool(new cognito.UserPool(stack, 'P')),
        }),
      'auth',
      'SecuredHttpApi: routes[2]: RouteAuth.cognitoUserPool is for REST APIs; on an HTTP API use RouteAuth.keycloak with a Cognito TrustedIssuer',
    ],
    [
      'a duplicate route',
      ({ api, backend }) =>
        api.addRoute({ method: HttpMethod.GET, path: '/models', backend, auth: RouteAuth.iam() }),
      'routes[2]',
      'SecuredHttpApi: routes[2]: duplicate route GET /models',
    ],
    [
      'a malformed path',
      ({ api, backend }) =>
        api.addRoute({ method: HttpMethod.GET, path: 'models', backend, auth: RouteAuth.iam() }),
      'routes[2].path',
      "SecuredHttpApi: routes[2].path: path 'models' must start with '/'",
    ],
    [
      'a binding of a parameter the path does not have',
      ({ api, backend }) =>
        api.addRoute({
          method: HttpMethod.GET,
          path: '/jobs',
          backend,
          auth: RouteAuth.keycloak(Requirement.allOf({ realmRoles: ['job:{jobId}'] })),
        }),
      'routes[2].requirement.allOf.realmRoles[0]',
      "SecuredHttpApi: routes[2].requirement.allOf.realmRoles: 'job:{jobId}' binds {jobId}, which is not a path parameter",
    ],
    [
      'a streaming route (HTTP APIs cannot stream)',
      ({ api, backend }) =>
        api.addRoute({
          method: HttpMethod.POST,
          path: '/models/{modelId}/stream',
          backend,
          auth: RouteAuth.keycloak(),
          stream: true,
        }),
      'stream',
      'SecuredHttpApi: routes[2].stream: POST /models/{modelId}/stream streams its answer, and HTTP APIs cannot stream responses; serve it from a SecuredRestApi',
    ],
  ])('rejects %s', (_, act, field, message) => {
    const s = setup();
    expectValidationError(() => act(s), field, message);
  });

  it.each<[string, { rateLimit: number; burstLimit: number }, string, string]>([
    [
      'a zero rate',
      { rateLimit: 0, burstLimit: 10 },
      'throttle.rateLimit',
      'SecuredHttpApi: throttle.rateLimit must be a positive number, got 0',
    ],
    [
      'a fractional burst',
      { rateLimit: 10, burstLimit: 1.5 },
      'throttle.burstLimit',
      'SecuredHttpApi: throttle.burstLimit must be a positive integer, got 1.5',
    ],
  ])('rejects %s', (_, throttle, field, message) => {
    const { stack } = newStack();
    expectValidationError(() => new SecuredHttpApi(stack, 'Api', { throttle }), field, message);
  });

  test('rejects CORS without origins', () => {
    const { stack } = newStack();
    expectValidationError(
      () => new SecuredHttpApi(stack, 'Api', { cors: { allowOrigins: [] } }),
      'cors.allowOrigins',
      'SecuredHttpApi: cors.allowOrigins must list at least one origin',
    );
  });
});
