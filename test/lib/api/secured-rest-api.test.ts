import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it, test } from 'vitest';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import { inlineBackend, invokeGrantDocument, newStack } from '../helpers';
import { expectValidationError } from '../validation';
import { authorizerFor } from '../../support/keycloak-authorizer';

describe('SecuredRestApi', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN Keycloak, IAM and Cognito routes, CORS for one origin, a same-account grant and a cross-account caller
    const { stack } = newStack();
    const backend = inlineBackend(stack);
    const pool = new cognito.UserPool(stack, 'Pool');
    const api = new SecuredRestApi(stack, 'Api', {
      authorizer: authorizerFor(stack),
      cors: { allowOrigins: ['https://app.example.com'] },
      throttle: { rateLimit: 20, burstLimit: 40 },
      stageName: 'dev',
      routes: [
        {
          method: HttpMethod.POST,
          path: '/models/{modelId}/invoke',
          backend,
          auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] })),
        },
        { method: HttpMethod.GET, path: '/machine/models', backend, auth: RouteAuth.iam() },
        { method: HttpMethod.GET, path: '/profile', backend, auth: RouteAuth.cognitoUserPool(pool) },
        {
          method: HttpMethod.POST,
          path: '/models/{modelId}/stream',
          backend,
          auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] })),
          stream: true,
        },
      ],
    });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountPrincipal('111122223333') });
    api.grantInvoke(caller, HttpMethod.GET, '/machine/models');
    api.allowCrossAccountInvoke(
      new iam.ArnPrincipal('arn:aws:iam::444455556666:role/batch'),
      HttpMethod.GET,
      '/machine/models',
    );
    // WHEN
    template = Template.fromStack(stack);
  });

  test('protects Keycloak routes with the Keygate REQUEST authorizer', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.stringLikeRegexp('^AuthorizerRestAuthorizer') },
    });
  });

  test('a streaming route calls InvokeWithResponseStream with response transfer mode STREAM and a 15-minute timeout', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
      (m) => m.Properties.HttpMethod === 'POST',
    );
    expect(methods).toHaveLength(2);
    const streaming = methods.filter((m) => m.Properties.Integration.ResponseTransferMode === 'STREAM');
    expect(streaming).toHaveLength(1);
    expect(streaming[0].Properties.Integration.TimeoutInMillis).toBe(900000);
    expect(JSON.stringify(streaming[0].Properties.Integration.Uri)).toContain('2021-11-15/functions/');
    expect(JSON.stringify(streaming[0].Properties.Integration.Uri)).toContain(
      '/response-streaming-invocations',
    );
    // The buffered route keeps the buffered integration.
    const buffered = methods.find((m) => m !== streaming[0])!;
    expect(buffered.Properties.Integration.ResponseTransferMode).toBeUndefined();
    expect(JSON.stringify(buffered.Properties.Integration.Uri)).toContain('/invocations');
    expect(JSON.stringify(buffered.Properties.Integration.Uri)).not.toContain('response-streaming');
  });

  test('protects IAM routes with AWS_IAM', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'AWS_IAM',
      ResourceId: { Ref: Match.stringLikeRegexp('^ApimachinemodelsResource|^Apimachinemodels') },
    });
  });

  test("protects signed-in-only routes with API Gateway's Cognito user-pools authorizer", () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      ProviderARNs: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Pool'), 'Arn'] }],
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'COGNITO_USER_POOLS',
    });
  });

  test('answers CORS preflight with mock integrations that need no authorization', () => {
    const options = Object.values(
      template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
    );
    expect(options.length).toBeGreaterThan(0);
    for (const m of options) {
      expect(m.Properties.AuthorizationType).toBe('NONE');
      expect(m.Properties.Integration.Type).toBe('MOCK');
    }
  });

  test('caches preflight answers for 10 minutes', () => {
    const options = Object.values(
      template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
    );
    for (const m of options) {
      expect(
        m.Properties.Integration.IntegrationResponses[0].ResponseParameters[
          'method.response.header.Access-Control-Max-Age'
        ],
      ).toBe("'600'");
    }
  });

  it.each([
    ['UNAUTHORIZED', '401', 'unauthorized', ''],
    ['MISSING_AUTHENTICATION_TOKEN', '403', 'missing_authentication', ''],
    ['AUTHORIZER_FAILURE', '500', 'authorizer_failure', ''],
  ])('answers %s with a JSON body and CORS headers', (type, status, error, extra) => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      StatusCode: status,
      ResponseParameters: {
        'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'",
        'gatewayresponse.header.Content-Type': "'application/json'",
      },
      ResponseTemplates: {
        'application/json': `{"error":"${error}","message":$context.error.messageString,"requestId":"$context.requestId"${extra}}`,
      },
    });
  });

  test('answers ACCESS_DENIED with JSON for API clients and an HTML sign-in page for browsers', () => {
    const responses = template.findResources('AWS::ApiGateway::GatewayResponse', {
      Properties: { ResponseType: 'ACCESS_DENIED' },
    });
    const [denied] = Object.values(responses).map(
      (r) =>
        r.Properties as {
          StatusCode: string;
          ResponseParameters: Record<string, string>;
          ResponseTemplates: Record<string, string>;
        },
    );
    expect(Object.keys(responses)).toHaveLength(1);
    // The status is fixed per response type: 403 for both, never a redirect status.
    expect(denied.StatusCode).toBe('403');
    // Two templates: Content-Type follows the selected one, so no fixed Content-Type header.
    expect(denied.ResponseParameters).toEqual({
      'gatewayresponse.header.Access-Control-Allow-Origin': "'https://app.example.com'",
      'gatewayresponse.header.Access-Control-Allow-Headers': expect.any(String),
      'gatewayresponse.header.Vary': "'Origin'",
    });
    expect(denied.ResponseTemplates['application/json']).toBe(
      '{"error":"forbidden","message":$context.error.messageString,"requestId":"$context.requestId","signIn":"$context.authorizer.signIn"}',
    );
    const html = denied.ResponseTemplates['text/html'];
    expect(Object.keys(denied.ResponseTemplates).sort()).toEqual(['application/json', 'text/html']);
    expect(html).toContain('<a id="signin" href="$context.authorizer.signIn">');
    expect(html).toContain('<h1 id="forbidden">Forbidden</h1>');
    // Plain substitution only: no VTL directive, and no `$` but the two context variables.
    expect(html).not.toMatch(/#(if|set|foreach)\b/);
    expect(html.match(/\$[A-Za-z.]+/g)).toEqual(['$context.authorizer.signIn', '$context.requestId']);
    // No meta refresh: with an empty sign-in URL it would reload the page forever.
    expect(html).not.toMatch(/http-equiv/i);
  });

  test('throttles the stage, logs JSON access lines and never logs request data', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] },
        Format: Match.serializedJson(
          Match.objectLike({ requestId: '$context.requestId', sub: '$context.authorizer.sub' }),
        ),
      },
      MethodSettings: [
        Match.objectLike({
          ThrottlingRateLimit: 20,
          ThrottlingBurstLimit: 40,
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ],
    });
  });

  test('grants execute-api:Invoke on exactly that API, stage, method and path', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: invokeGrantDocument('eu-west-1', 'Api', '/dev/GET/machine/models'),
    });
  });

  test('lets a caller in another account in through the resource policy, for that route only', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::444455556666:role/batch' },
            Resource: 'execute-api:/dev/GET/machine/models',
          },
        ],
      },
    });
  });

  test('registers its Keycloak routes with the authorizer', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.KEYGATE_CONFIG,
    );
    expect(JSON.parse(fn!.Properties.Environment.Variables.KEYGATE_CONFIG).routes).toEqual([
      {
        method: 'POST',
        path: '/models/{modelId}/invoke',
        auth: 'keycloak',
        requirement: { anyOf: { realmRoles: ['model:{modelId}:invoke'] } },
      },
      {
        method: 'POST',
        path: '/models/{modelId}/stream',
        auth: 'keycloak',
        requirement: { anyOf: { realmRoles: ['model:{modelId}:invoke'] } },
      },
    ]);
  });
});

describe('SecuredRestApi options and validation', () => {
  test('echoes the request origin on error answers when several origins are allowed', () => {
    const { stack } = newStack();
    new SecuredRestApi(stack, 'Api', {
      cors: { allowOrigins: ['https://a.example.com', 'https://b.example.com'] },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
        'gatewayresponse.header.Vary': "'Origin'",
      }),
    });
  });

  function apiWithRoutes(): { stack: Stack; api: SecuredRestApi } {
    const { stack } = newStack();
    const backend = inlineBackend(stack);
    const api = new SecuredRestApi(stack, 'Api', {
      authorizer: authorizerFor(stack),
      routes: [
        { method: HttpMethod.GET, path: '/models', backend, auth: RouteAuth.keycloak() },
        { method: HttpMethod.GET, path: '/machine/models', backend, auth: RouteAuth.iam() },
      ],
    });
    return { stack, api };
  }

  test('rejects a cross-account grant on an unknown route', () => {
    const { api } = apiWithRoutes();
    expectValidationError(
      () =>
        api.allowCrossAccountInvoke(
          new iam.AccountPrincipal('444455556666'),
          HttpMethod.DELETE,
          '/machine/models',
        ),
      'path',
      'SecuredRestApi.grantInvoke: no route DELETE /machine/models on this API',
    );
  });

  it.each<[string, iam.IPrincipal]>([
    ['anyone', new iam.AnyPrincipal()],
    ['a service', new iam.ServicePrincipal('lambda.amazonaws.com')],
  ])('rejects a cross-account grant to %s', (_, principal) => {
    const { api } = apiWithRoutes();
    expectValidationError(
      () => api.allowCrossAccountInvoke(principal, HttpMethod.GET, '/machine/models'),
      'principal',
      'SecuredRestApi.allowCrossAccountInvoke: principal must be an account or an IAM role/user ARN, not * or a service',
    );
  });

  test('rejects a stage name API Gateway would refuse', () => {
    const { stack } = newStack();
    expectValidationError(
      () => new SecuredRestApi(stack, 'Api', { stageName: 'my stage' }),
      'stageName',
      "SecuredRestApi: stageName must be 1 to 128 letters, digits, _ or -, got 'my stage'",
    );
  });
});

describe('SecuredRestApi: the account-wide API Gateway log role', () => {
  function accounts(props: { configureAccountLogRole?: boolean }): number {
    // GIVEN a minimal API WHEN synthesized THEN count the account-wide settings it takes over
    const { stack } = newStack();
    const backend = inlineBackend(stack);
    new SecuredRestApi(stack, 'Api', {
      authorizer: authorizerFor(stack),
      routes: [{ method: HttpMethod.GET, path: '/me', backend, auth: RouteAuth.keycloak() }],
      ...props,
    });
    return Object.keys(Template.fromStack(stack).findResources('AWS::ApiGateway::Account')).length;
  }

  test('is left alone by default, as aws-cdk-lib RestApi leaves it', () => {
    expect(accounts({})).toBe(0);
  });

  test('is set with configureAccountLogRole: true', () => {
    expect(accounts({ configureAccountLogRole: true })).toBe(1);
  });
});
