import { gunzipSync } from 'node:zlib';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { describe, expect, test } from 'vitest';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredHttpApi } from '../../../lib/api/secured-http-api';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import type { KeygateAuthorizerProps } from '../../../lib/authorizer/keygate-authorizer';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import type { BackChannelLogoutProps } from '../../../lib/revocation/back-channel-logout';
import { BackChannelLogout } from '../../../lib/revocation/back-channel-logout';
import { inlineBackend, newStack } from '../helpers';
import { expectValidationError } from '../validation';

const ISSUER = 'https://sso.example.com/realms/ml';

function envOf(template: Template, name: string): unknown {
  const fns = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { [name]: Match.anyValue() } } },
  });
  const value = Object.values(fns)[0].Properties.Environment.Variables[name] as unknown;
  if (typeof value !== 'string') return value;
  return JSON.parse(
    value.startsWith('gz:') ? gunzipSync(Buffer.from(value.slice(3), 'base64')).toString() : value,
  );
}

function build(
  logoutProps: Partial<BackChannelLogoutProps> = {},
  authorizerProps: Partial<KeygateAuthorizerProps> = {},
  kind: 'http' | 'rest' = 'http',
) {
  const { stack } = newStack();
  const logout = new BackChannelLogout(stack, 'Logout', {
    issuers: [{ issuer: ISSUER, clientIds: ['web'] }],
    ...logoutProps,
  });
  const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
    issuers: [TrustedIssuer.keycloakRealm({ issuerUrl: ISSUER, allowedClients: ['web'] })],
    revocation: logout,
    ...authorizerProps,
  });
  const routes = [
    {
      method: HttpMethod.GET,
      path: '/me',
      backend: inlineBackend(stack),
      auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['user'] })),
    },
  ];
  if (kind === 'http') {
    const api = new SecuredHttpApi(stack, 'Http', { authorizer, routes });
    logout.addToHttpApi(api.httpApi);
  } else {
    const api = new SecuredRestApi(stack, 'Rest', { authorizer, routes });
    logout.addToRestApi(api.restApi);
  }
  return { stack, template: Template.fromStack(stack), authorizer, logout };
}

describe('BackChannelLogout', () => {
  test('creates the revocation list: a table keyed by pk with TTL on expiresAt, on demand', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  test('configures the logout function with the issuer, its clients and the retention', () => {
    const { template } = build({ retention: Duration.hours(12) });
    const config = envOf(template, 'KEYGATE_BACKCHANNEL_LOGOUT_CONFIG') as { 'Fn::Join': unknown };
    expect(JSON.stringify(config)).toContain(
      `\\"issuers\\":[{\\"issuer\\":\\"${ISSUER}\\",\\"audiences\\":[\\"web\\"]}]`,
    );
    expect(JSON.stringify(config)).toContain('\\"retentionSeconds\\":43200');
  });

  test('the authorizer checks the list: config block, read grant, result cache TTL capped at the bound', () => {
    const { template } = build();
    const config = envOf(template, 'KEYGATE_CONFIG');
    expect(JSON.stringify(config)).toContain('\\"revocation\\":{\\"boundSeconds\\":30,\\"tableName\\":\\"');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'dynamodb:BatchGetItem', Effect: 'Allow' })]),
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 30 });
  });

  test('the table grants are exact: the authorizer reads (BatchGetItem), the logout function writes (PutItem)', () => {
    const { template } = build();
    const actions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((st) =>
        [st.Action].flat().filter((a) => a.startsWith('dynamodb:')),
      ),
    );
    expect(actions.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:PutItem']);
  });

  test('an explicit result cache TTL within the bound is kept', () => {
    const { authorizer } = build({ bound: Duration.seconds(60) }, { resultsCacheTtl: Duration.seconds(20) });
    expect(authorizer.resultsCacheTtlSeconds).toBe(20);
  });

  test('an explicit result cache TTL above the bound fails synth, naming both', () => {
    expectValidationError(
      () => build({}, { resultsCacheTtl: Duration.seconds(300) }),
      'resultsCacheTtl',
      'KeygateAuthorizer: resultsCacheTtl (300 s) must not exceed the revocation bound (30 s): a cached answer would let a logged-out session work for longer',
    );
  });

  test.each(['http', 'rest'] as const)(
    '%s: adds POST /auth/backchannel-logout without an authorizer',
    (kind) => {
      const { template } = build({}, {}, kind);
      if (kind === 'http') {
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          RouteKey: 'POST /auth/backchannel-logout',
          AuthorizationType: 'NONE',
        });
      } else {
        template.hasResourceProperties('AWS::ApiGateway::Method', {
          HttpMethod: 'POST',
          AuthorizationType: 'NONE',
        });
        template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'backchannel-logout' });
      }
    },
  );

  test.each([
    [
      { bound: Duration.seconds(0) },
      'bound',
      'BackChannelLogout: bound must be a whole number of seconds from 1 to 300, got 0',
    ],
    [
      { retention: Duration.seconds(30) },
      'retention',
      'BackChannelLogout: retention must be a whole number of seconds from 60 to 2678400, got 30',
    ],
    [
      { issuers: [{ issuer: 'http://sso.example.com/realms/ml', clientIds: ['web'] }] },
      'issuers',
      'BackChannelLogout: issuers[0].issuer must be an https URL without a trailing slash',
    ],
    [
      { issuers: [{ issuer: ISSUER, clientIds: [] }] },
      'issuers',
      'BackChannelLogout: issuers[0].audiences must list the client ids whose sessions may be logged out',
    ],
  ])('validates %j', (props, field, message) => {
    expectValidationError(() => build(props), field, message);
  });
});
