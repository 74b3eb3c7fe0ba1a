/**
 * Per-caller usage tiers in the template: no shared key for such a tier, a table recording caller keys,
 * and the authorizer allowed to register keys in that tier's usage plan only.
 */
import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { beforeAll, describe, expect, test } from 'vitest';
import { AUTHORIZER_CONFIG_ENV } from '../../../common/authorizer-config';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import type { SecuredRestApiProps } from '../../../lib/api/secured-rest-api';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import type { UsageTiersOptions } from '../../../lib/api/usage-plans';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { inlineBackend, newStack, synthWithNag } from '../helpers';

const TIERS: UsageTiersOptions = {
  tiers: {
    free: { rateLimit: 2, burstLimit: 4, quota: { limit: 1000, period: apigw.Period.DAY }, perCaller: true },
    team: { rateLimit: 20, burstLimit: 40 },
  },
  defaultTier: 'free',
  assignments: [{ realmRole: 'ml-team', tier: 'team' }],
};

type Backend = ReturnType<typeof inlineBackend>;

function restApi(
  stack: Stack,
  props: Partial<SecuredRestApiProps> = {},
  routes?: (backend: Backend) => SecuredRestApiProps['routes'],
) {
  const backend = inlineBackend(stack);
  return new SecuredRestApi(stack, 'Api', {
    authorizer: new KeygateAuthorizer(stack, 'Authorizer', {
      issuers: [
        TrustedIssuer.keycloakRealm({
          issuerUrl: 'https://sso.example.com/realms/ml',
          allowedAudiences: ['api'],
        }),
      ],
    }),
    stageName: 'dev',
    usageTiers: TIERS,
    routes: [
      {
        method: HttpMethod.POST,
        path: '/models/{modelId}/invoke',
        backend,
        auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] })),
      },
    ],
    ...props,
    ...(routes ? { routes: routes(backend) } : {}),
  });
}

describe('SecuredRestApi usageTiers with a per-caller tier', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN a per-caller tier (free) and a shared one (team)
    const { stack } = newStack();
    restApi(stack);
    template = Template.fromStack(stack);
  });

  test('only the shared tier has a key in the template; both have plans and secrets', () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
  });

  test('a table records the caller keys, keyed by id', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  test("the authorizer's config names the table and the per-caller tiers, and no values", () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { [AUTHORIZER_CONFIG_ENV]: Match.anyValue() } } },
    });
    expect(Object.keys(fns)).toHaveLength(1);
    const env = JSON.stringify(Object.values(fns)[0]);
    // `"callerKeys":{"table":"<Ref table>","tiers":["free"]}`, escaped twice in the template's JSON
    expect(env).toMatch(
      /callerKeys.{0,30}\{"Ref":"ApiUsageTiersCallerKeys\w+"\}.{0,30}tiers.{0,12}free.{0,12}\]\}/,
    );
    expect(env).not.toContain('resolve:secretsmanager');
    expect(env).not.toContain('Plan');
  });

  test('the per-caller plan carries the tag the authorizer finds it by; the shared one does not', () => {
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 2, BurstLimit: 4 },
      Tags: [{ Key: 'keygate:usage-tier', Value: 'free' }],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 20, BurstLimit: 40 },
      Tags: Match.absent(),
    });
  });

  test('the authorizer may list plans, create API keys, and add keys to the per-caller plan only', () => {
    const arn = (path: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:apigateway:eu-west-1::${path}`]],
    });
    for (const statement of [
      { Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
      { Action: ['apigateway:POST', 'apigateway:GET'], Resource: arn('/apikeys') },
      { Action: 'apigateway:GET', Resource: arn('/usageplans') },
    ])
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyName: Match.stringLikeRegexp('^AuthorizerRoleDefaultPolicy'),
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(statement)]) },
      });
    // The plan-scoped grant is a policy of its own, naming the per-caller plan only.
    const own = template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('CallerKeyRegistration') },
    });
    expect(Object.keys(own)).toHaveLength(1);
    const statements = (Object.values(own)[0] as { Properties: { PolicyDocument: { Statement: unknown[] } } })
      .Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      {
        Action: 'apigateway:POST',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':apigateway:eu-west-1::/usageplans/',
              { Ref: expect.stringMatching(/^ApiUsageTiersfreePlan\w+$/) as unknown },
              '/keys',
            ],
          ],
        },
      },
    ]);
  });

  test('passes cdk-nag AwsSolutions', () => {
    const { app, stack } = newStack({ nag: true });
    restApi(stack);
    const violations = synthWithNag(app).filter((v) =>
      v.paths.some((p) => p.includes('UsageTiers') || p.includes('Authorizer')),
    );
    expect(violations).toEqual([]);
  });

  test('refuses a perCaller that is not a boolean, naming the field', () => {
    const { stack } = newStack();
    const usageTiers = {
      tiers: { free: { rateLimit: 1, burstLimit: 1, perCaller: 'yes' as unknown as boolean } },
      defaultTier: 'free',
    };
    expect(() => restApi(stack, { usageTiers })).toThrow(
      "SecuredRestApi: usageTiers.tiers.free.perCaller must be true (an API key per caller) or false (one key shared by the tier's callers)",
    );
  });

  test('without a per-caller tier there is no table and no API Gateway permission', () => {
    const { stack } = newStack();
    restApi(stack, { usageTiers: { tiers: { team: { rateLimit: 1, burstLimit: 1 } }, defaultTier: 'team' } });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).not.toContain('apigateway:');
  });
});

describe('SecuredRestApi usageTiers per model', () => {
  test('a model with a route of its own beside {modelId} gets its own per-method throttle', () => {
    // GIVEN POST /models/big/invoke beside POST /models/{modelId}/invoke, throttled in the tier
    const { stack } = newStack();
    const auth = RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] }));
    const big = RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:big:invoke'] }));
    restApi(
      stack,
      {
        usageTiers: {
          tiers: {
            free: {
              rateLimit: 10,
              burstLimit: 20,
              routeThrottles: { 'POST /models/big/invoke': { rateLimit: 1, burstLimit: 2 } },
            },
          },
          defaultTier: 'free',
        },
      },
      (backend) => [
        { method: HttpMethod.POST, path: '/models/{modelId}/invoke', backend, auth },
        { method: HttpMethod.POST, path: '/models/big/invoke', backend, auth: big },
      ],
    );
    // THEN the plan throttles the literal method alone; the parameterized one keeps the tier's numbers
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 10, BurstLimit: 20 },
      ApiStages: [
        Match.objectLike({ Throttle: { '/models/big/invoke/POST': { RateLimit: 1, BurstLimit: 2 } } }),
      ],
    });
  });
});
