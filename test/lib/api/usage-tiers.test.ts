import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { beforeAll, describe, expect, test } from 'vitest';
import { AUTHORIZER_CONFIG_ENV } from '../../../common/authorizer-config';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredHttpApi } from '../../../lib/api/secured-http-api';
import type { SecuredRestApiProps } from '../../../lib/api/secured-rest-api';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import type { UsageTiersOptions } from '../../../lib/api/usage-plans';
import type { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { inlineBackend, newStack, synthWithNag } from '../helpers';
import { expectValidationError } from '../validation';
import { authorizerFor } from '../../support/keycloak-authorizer';

const TIERS: UsageTiersOptions = {
  tiers: {
    free: { rateLimit: 2, burstLimit: 4, quota: { limit: 1000, period: apigw.Period.DAY } },
    team: {
      rateLimit: 20,
      burstLimit: 40,
      quota: { limit: 100000, period: apigw.Period.MONTH },
      routeThrottles: { 'POST /models/{modelId}/stream': { rateLimit: 5, burstLimit: 10 } },
    },
  },
  defaultTier: 'free',
  assignments: [{ realmRole: 'ml-team', tier: 'team' }],
};

function restApi(stack: Stack, props: Partial<SecuredRestApiProps> = {}) {
  const backend = inlineBackend(stack);
  const keycloak = RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] }));
  return new SecuredRestApi(stack, 'Api', {
    authorizer: authorizerFor(stack),
    stageName: 'dev',
    usageTiers: TIERS,
    routes: [
      { method: HttpMethod.POST, path: '/models/{modelId}/invoke', backend, auth: keycloak },
      { method: HttpMethod.POST, path: '/models/{modelId}/stream', backend, auth: keycloak, stream: true },
      { method: HttpMethod.GET, path: '/machine/models', backend, auth: RouteAuth.iam() },
    ],
    ...props,
  });
}

describe('SecuredRestApi usageTiers', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN a REST API with two tiers, one with a route throttle
    const { stack } = newStack();
    restApi(stack);
    template = Template.fromStack(stack);
  });

  test('the API takes its keys from the authorizer', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  test('one usage plan per tier, with its throttle and quota, on the stage', () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 2, BurstLimit: 4 },
      Quota: { Limit: 1000, Period: 'DAY' },
      ApiStages: [Match.objectLike({ Stage: Match.anyValue(), ApiId: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 20, BurstLimit: 40 },
      Quota: { Limit: 100000, Period: 'MONTH' },
      ApiStages: [
        Match.objectLike({
          Throttle: { '/models/{modelId}/stream/POST': { RateLimit: 5, BurstLimit: 10 } },
        }),
      ],
    });
  });

  test('one API key per tier, in its plan, valued by a Secrets Manager dynamic reference', () => {
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 2);
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 40, ExcludePunctuation: true, IncludeSpace: false },
    });
    const keys = template.findResources('AWS::ApiGateway::ApiKey');
    for (const key of Object.values(keys)) {
      const value = JSON.stringify((key as { Properties: { Value: unknown } }).Properties.Value);
      expect(value).toMatch(
        /^\{"Fn::Join":\["",\["\{\{resolve:secretsmanager:",\{"Ref":"ApiUsageTiers\w+KeyValue\w+"\},":SecretString:::\}\}"\]\]\}$/,
      );
    }
  });

  test('no plain key value anywhere in the template', () => {
    // GIVEN every string of the template that is not a logical id
    const t = template.toJSON() as Record<string, Record<string, unknown> | undefined>;
    const ids = new Set(
      ['Resources', 'Parameters', 'Outputs', 'Conditions', 'Mappings'].flatMap((k) =>
        Object.keys(t[k] ?? {}),
      ),
    );
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === 'object' && v !== null) Object.values(v).forEach(walk);
    };
    walk(t);
    // THEN none has the shape of an API key value (names CDK generates end in an 8-hex-digit hash), and
    // secrets carry no SecretString
    expect(strings.length).toBeGreaterThan(100);
    expect(
      strings.filter((s) => /^[A-Za-z0-9]{20,128}$/.test(s) && !ids.has(s) && !/[0-9A-F]{8}$/.test(s)),
    ).toEqual([]);
    template.allResourcesProperties('AWS::SecretsManager::Secret', { SecretString: Match.absent() });
    template.allResourcesProperties('AWS::ApiGateway::ApiKey', {
      Value: {
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^\\{\\{resolve:secretsmanager:$')])],
      },
    });
  });

  test('Keycloak methods require a key; IAM methods do not (no roleArn assignment)', () => {
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::Method',
      { AuthorizationType: 'CUSTOM', ApiKeyRequired: true },
      2,
    );
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      AuthorizationType: 'AWS_IAM',
      ApiKeyRequired: Match.absent(),
    });
  });

  test("the authorizer's config names the key secrets (never values) and it may read them through the extension", () => {
    const fns = template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { [AUTHORIZER_CONFIG_ENV]: Match.anyValue() } } },
    });
    expect(Object.keys(fns)).toHaveLength(1);
    const fn = Object.values(fns)[0] as {
      Properties: { Environment: { Variables: Record<string, unknown> }; Layers: unknown[] };
    };
    const env = JSON.stringify(fn.Properties.Environment.Variables);
    expect(env).toContain('\\"usage\\":{\\"defaultTier\\":\\"free\\"');
    expect(env).toContain('keySecrets');
    expect(env).not.toContain('resolve:secretsmanager');
    expect(env).not.toContain('roleArn');
    expect(fn.Properties.Layers).toHaveLength(1);
    expect(JSON.stringify(fn.Properties.Layers)).toContain('AWS-Parameters-and-Secrets-Lambda-Extension');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] }),
        ]),
      },
    });
  });

  test('passes cdk-nag AwsSolutions', () => {
    const { app, stack } = newStack({ nag: true });
    restApi(stack);
    const violations = synthWithNag(app).filter((v) => v.paths.some((p) => p.includes('UsageTiers')));
    expect(violations).toEqual([]);
  });
});

describe('SecuredRestApi usageTiers validation', () => {
  test.each<[string, UsageTiersOptions, string, string]>([
    [
      'a quota without a period',
      { tiers: { free: { rateLimit: 1, burstLimit: 1, quota: { limit: 5 } as never } }, defaultTier: 'free' },
      'usageTiers.tiers.free.quota.period',
      'SecuredRestApi: usageTiers.tiers.free.quota.period must be one of DAY, WEEK, MONTH: a usage plan counts a quota per day, week or month',
    ],
    [
      'a rate above the account throttle',
      { tiers: { free: { rateLimit: 20000, burstLimit: 1 } }, defaultTier: 'free' },
      'usageTiers.tiers.free.rateLimit',
      "SecuredRestApi: usageTiers.tiers.free.rateLimit 20000 is above the account's API Gateway throttle of 10000 requests per second (common/aws-limits.ts); lower it",
    ],
  ])('refuses %s, naming the field', (_, usageTiers, field, message) => {
    const { stack } = newStack();
    expectValidationError(() => restApi(stack, { usageTiers }), field, message);
  });

  test('refuses usageTiers without an authorizer', () => {
    const { stack } = newStack();
    expectValidationError(
      () =>
        new SecuredRestApi(stack, 'Api', {
          usageTiers: { tiers: { free: { rateLimit: 1, burstLimit: 1 } }, defaultTier: 'free' },
        }),
      'usageTiers',
      'SecuredRestApi: usageTiers needs the authorizer prop (it answers each caller with its tier key)',
    );
  });

  test('refuses a route throttle on a route that is not a Keycloak route of the API, at synth', () => {
    const { app, stack } = newStack();
    restApi(stack, {
      usageTiers: {
        tiers: {
          free: {
            rateLimit: 1,
            burstLimit: 1,
            routeThrottles: { 'GET /machine/models': { rateLimit: 1, burstLimit: 1 } },
          },
        },
        defaultTier: 'free',
      },
    });
    expect(() => app.synth()).toThrow(
      "SecuredRestApi: usageTiers.tiers.free.routeThrottles['GET /machine/models'] names no Keycloak route of the API (only methods the authorizer keys can be throttled per tier)",
    );
  });

  test('refuses a second API with tiers on one authorizer', () => {
    const { stack } = newStack();
    restApi(stack);
    const a = stack.node.findChild('Authorizer') as KeygateAuthorizer;
    expectValidationError(
      () => a._useUsageKeys({ defaultTier: 'x', assignments: [], keySecrets: {} }, []),
      'usageTiers',
      'KeygateAuthorizer: usage tiers are set by another API already; give each API with usageTiers its own authorizer',
    );
  });
});

describe('SecuredHttpApi', () => {
  test('refuses usageTiers, naming the field and offering the stage throttle', () => {
    const { stack } = newStack();
    expectValidationError(
      () =>
        new SecuredHttpApi(stack, 'Http', {
          authorizer: authorizerFor(stack),
          ...({ usageTiers: TIERS } as object),
        }),
      'usageTiers',
      'SecuredHttpApi: usageTiers: HTTP APIs have no usage plans or API keys, so per-caller quotas cannot be enforced; use throttle (the stage throttle) here, or a SecuredRestApi for tiers',
    );
  });
});
