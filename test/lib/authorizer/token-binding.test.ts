import { gunzipSync } from 'node:zlib';
import { Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, test } from 'vitest';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredHttpApi } from '../../../lib/api/secured-http-api';
import type { KeygateAuthorizerProps } from '../../../lib/authorizer/keygate-authorizer';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { inlineBackend, newStack, synthWithNag } from '../helpers';
import { expectValidationError } from '../validation';

const ISSUER = 'https://sso.example.com/realms/ml';
const INVOKE = 'POST /models/{modelId}/invoke';
const realm = () => TrustedIssuer.keycloakRealm({ issuerUrl: ISSUER, allowedClients: ['web'] });

function build(props: Partial<KeygateAuthorizerProps>) {
  const { stack } = newStack();
  const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm()], ...props });
  new SecuredHttpApi(stack, 'Http', {
    authorizer,
    routes: [
      {
        method: HttpMethod.POST,
        path: '/models/{modelId}/invoke',
        backend: inlineBackend(stack),
        auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] })),
      },
    ],
  });
  return { stack, authorizer };
}

function configOf(template: Template): Record<string, unknown> {
  const fns = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { KEYGATE_CONFIG: Match.anyValue() } } },
  });
  const value = Object.values(fns)[0].Properties.Environment.Variables.KEYGATE_CONFIG as string;
  return JSON.parse(
    value.startsWith('gz:') ? gunzipSync(Buffer.from(value.slice(3), 'base64')).toString() : value,
  ) as Record<string, unknown>;
}

describe('KeygateAuthorizer with tokenBinding', () => {
  test('DPoP: creates a TTL replay table the function may PutItem to, and turns the result cache off', () => {
    // GIVEN / WHEN
    const { stack } = build({ tokenBinding: { dpop: { routes: [INVOKE] } } });
    const t = Template.fromStack(stack);
    // THEN
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'dynamodb:PutItem', Effect: 'Allow' })]),
      },
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
  });

  test('synth warns that the cache is off, naming the route', () => {
    const { stack } = build({ tokenBinding: { dpop: { routes: [INVOKE] } } });
    Annotations.fromStack(stack).hasWarning(
      '/Test/Authorizer',
      Match.stringLikeRegexp(
        'result cache is off \\(TTL 0\\) for every route of this authorizer because of DPoP binding on route POST /models/\\{modelId\\}/invoke',
      ),
    );
  });

  test('the runtime config carries the binding block and a TTL of 0', () => {
    const { stack } = newStack();
    const table = dynamodb.Table.fromTableName(stack, 'Replay', 'my-dpop-replay');
    const { stack: s } = { stack };
    const authorizer = new KeygateAuthorizer(s, 'Authorizer', {
      issuers: [realm()],
      tokenBinding: {
        dpop: {
          routes: [INVOKE],
          replayTable: table,
          proofMaxAge: Duration.seconds(120),
          algorithms: ['ES256'],
        },
        mtls: { issuers: [realm()] },
      },
    });
    authorizer.addRoute({
      method: HttpMethod.POST,
      path: '/models/{modelId}/invoke',
      auth: RouteAuth.keycloak(),
    });
    const config = configOf(Template.fromStack(s));
    expect(config.resultCacheTtlSeconds).toBe(0);
    expect(config.tokenBinding).toEqual({
      dpop: {
        issuers: [],
        routes: [INVOKE],
        algorithms: ['ES256'],
        proofMaxAgeSeconds: 120,
        replayTableName: 'my-dpop-replay',
      },
      mtls: { issuers: [ISSUER], routes: [] },
    });
    Template.fromStack(s).resourceCountIs('AWS::DynamoDB::Table', 0);
  });

  test('refuses a result cache TTL above 0', () => {
    const { stack } = newStack();
    expectValidationError(
      () =>
        new KeygateAuthorizer(stack, 'Authorizer', {
          issuers: [realm()],
          resultsCacheTtl: Duration.minutes(5),
          tokenBinding: { mtls: { issuers: [realm()] } },
        }),
      'resultsCacheTtl',
      'KeygateAuthorizer: resultsCacheTtl must be 0 with tokenBinding (got 300 s): a DPoP proof is single-use and ' +
        'a client certificate is not part of the cache key, so a cached answer would skip the proof',
    );
  });

  test('a bound route that is never added fails synth, naming it', () => {
    const { stack } = build({ tokenBinding: { mtls: { routes: ['GET /nowhere'] } } });
    expect(() => Template.fromStack(stack)).toThrow(
      "KeygateAuthorizer: tokenBinding.mtls.routes: 'GET /nowhere' is not a route of this authorizer",
    );
  });

  test('cdk-nag (AwsSolutions) finds nothing on the replay table', () => {
    const { app, stack } = newStack({ nag: true });
    new KeygateAuthorizer(stack, 'Authorizer', {
      issuers: [realm()],
      tokenBinding: { dpop: { issuers: [realm()] } },
    });
    const onTable = synthWithNag(app).filter((v) => v.paths.some((p) => p.includes('DpopReplayTable')));
    expect(onTable).toEqual([]);
  });

  test('a bad DPoP option fails at construction, naming the field', () => {
    const { stack } = newStack();
    expect(
      () =>
        new KeygateAuthorizer(stack, 'Authorizer', {
          issuers: [realm()],
          tokenBinding: { dpop: { algorithms: ['HS256'] } },
        }),
    ).toThrow(/tokenBinding\.dpop\.algorithms must be a non-empty list of ES256/);
  });
});
