import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, test } from 'vitest';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import type { UsageTiersOptions } from '../../../lib/api/usage-plans';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { inlineBackend, newStack, synthWithNag } from '../helpers';
import { expectValidationError } from '../validation';

const POOLED_ROLE = 'arn:aws:iam::111122223333:role/reporting';
const OWN_KEY_ROLE = 'arn:aws:iam::111122223333:role/batch-scorer';
const UNASSIGNED_ROLE = 'arn:aws:iam::111122223333:role/lister';

const TIERS: UsageTiersOptions = {
  tiers: {
    free: { rateLimit: 2, burstLimit: 4, quota: { limit: 1000, period: apigw.Period.DAY } },
    team: { rateLimit: 20, burstLimit: 40 },
    batch: { rateLimit: 50, burstLimit: 100, perCaller: true },
  },
  defaultTier: 'free',
  assignments: [
    { realmRole: 'ml-team', tier: 'team' },
    { roleArn: POOLED_ROLE, tier: 'team' },
    { roleArn: OWN_KEY_ROLE, tier: 'batch' },
  ],
};

function restApi(stack: Stack, tiers: UsageTiersOptions = TIERS) {
  const backend = inlineBackend(stack);
  const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
    issuers: [
      TrustedIssuer.keycloakRealm({
        issuerUrl: 'https://sso.example.com/realms/ml',
        allowedAudiences: ['api'],
      }),
    ],
  });
  return new SecuredRestApi(stack, 'Api', {
    authorizer,
    stageName: 'dev',
    usageTiers: tiers,
    routes: [
      {
        method: HttpMethod.POST,
        path: '/models/{modelId}/invoke',
        backend,
        auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] })),
      },
      { method: HttpMethod.GET, path: '/machine/models', backend, auth: RouteAuth.iam() },
      { method: HttpMethod.POST, path: '/machine/models/{modelId}/invoke', backend, auth: RouteAuth.iam() },
    ],
  });
}

function grantAll(stack: Stack, api: SecuredRestApi): Record<string, iam.IRole> {
  const roles = {
    pooled: iam.Role.fromRoleArn(stack, 'Pooled', POOLED_ROLE),
    own: iam.Role.fromRoleArn(stack, 'Own', OWN_KEY_ROLE),
    unassigned: iam.Role.fromRoleArn(stack, 'Unassigned', UNASSIGNED_ROLE),
  };
  for (const role of Object.values(roles)) {
    api.grantInvoke(role, HttpMethod.GET, '/machine/models');
    api.grantInvoke(role, HttpMethod.POST, '/machine/models/{modelId}/invoke');
  }
  return roles;
}

/** The logical id of the resource whose construct path ends in `suffix`. */
function idOf(template: Template, type: string, pathPart: RegExp): string {
  const found = Object.entries(template.findResources(type)).filter(([id]) => pathPart.test(id));
  expect(found, `${type} matching ${String(pathPart)}`).toHaveLength(1);
  return found[0][0];
}

describe('SecuredRestApi usageTiers with roleArn assignments', () => {
  let template: Template;
  let api: SecuredRestApi;

  beforeAll(() => {
    // GIVEN a REST API whose tiers assign two IAM roles, one to a pooled tier, one to a per-caller tier,
    // and three roles granted both IAM routes
    const { stack } = newStack();
    api = restApi(stack);
    grantAll(stack, api);
    template = Template.fromStack(stack);
  });

  test('a companion REST API takes its keys from the X-API-Key header; the Keycloak API keeps AUTHORIZER', () => {
    template.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    template.resourcePropertiesCountIs('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' }, 1);
    template.resourcePropertiesCountIs('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' }, 1);
    expect(api.iamApi).toBeDefined();
  });

  test('every IAM method is on the companion, AWS_IAM and requiring a key; none stays on the Keycloak API', () => {
    const companion = idOf(template, 'AWS::ApiGateway::RestApi', /^ApiIamTiersApi/);
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::Method',
      { AuthorizationType: 'AWS_IAM', ApiKeyRequired: true, RestApiId: { Ref: companion } },
      2,
    );
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'AWS_IAM' }, 2);
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::Method',
      { AuthorizationType: 'CUSTOM', ApiKeyRequired: true, RestApiId: { Ref: 'ApiCD79AAA0' } },
      1,
    );
  });

  test("every tier's usage plan covers both APIs' stages", () => {
    const companion = idOf(template, 'AWS::ApiGateway::RestApi', /^ApiIamTiersApi/);
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::UsagePlan',
      {
        ApiStages: [
          Match.objectLike({ ApiId: { Ref: 'ApiCD79AAA0' } }),
          Match.objectLike({ ApiId: { Ref: companion } }),
        ],
      },
      3,
    );
  });

  test('a per-caller tier role gets a key of its own (secret + API key in the tier plan); pooled roles share the tier key', () => {
    // free and team: one key each; batch (per caller): none for the tier, one for its role
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 3);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 3);
    template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    const roleKey = idOf(template, 'AWS::ApiGateway::ApiKey', /^ApiIamTiersRole0Key/);
    const roleSecret = idOf(template, 'AWS::SecretsManager::Secret', /^ApiIamTiersRole0KeyValue/);
    const batchPlan = idOf(template, 'AWS::ApiGateway::UsagePlan', /^ApiUsageTiersbatchPlan/);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: roleKey },
      UsagePlanId: { Ref: batchPlan },
    });
    template.hasResourceProperties('AWS::ApiGateway::ApiKey', {
      Value: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: roleSecret }, ':SecretString:::}}']] },
    });
  });

  test('each role may read exactly its key secret and invoke exactly its routes on the companion', () => {
    const roleSecret = idOf(template, 'AWS::SecretsManager::Secret', /^ApiIamTiersRole0KeyValue/);
    const teamSecret = idOf(template, 'AWS::SecretsManager::Secret', /^ApiUsageTiersteamKeyValue/);
    const freeSecret = idOf(template, 'AWS::SecretsManager::Secret', /^ApiUsageTiersfreeKeyValue/);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith(['batch-scorer']) },
    });
    expect(Object.keys(policies)).toHaveLength(1);
    const doc = JSON.stringify(Object.values(policies)[0]);
    expect(doc).toContain(`{"Ref":"${roleSecret}"}`);
    expect(doc).not.toContain(teamSecret);
    expect(doc).not.toContain(freeSecret);
    const read = (role: string, secret: string) =>
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [role],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
              Effect: 'Allow',
              Resource: { Ref: secret },
            },
          ]),
        },
      });
    read('reporting', teamSecret);
    // a role no assignment names is in the default tier
    read('lister', freeSecret);
    const companion = idOf(template, 'AWS::ApiGateway::RestApi', /^ApiIamTiersApi/);
    expect(doc).toContain(`"Ref":"${companion}"`);
    expect(doc).toContain('/dev/GET/machine/models');
    expect(doc).toContain('/dev/POST/machine/models/*/invoke');
    expect(doc).not.toContain('"Ref":"ApiCD79AAA0"');
  });

  test('no plain key value in the template: every API key value is a dynamic reference', () => {
    template.allResourcesProperties('AWS::SecretsManager::Secret', { SecretString: Match.absent() });
    template.allResourcesProperties('AWS::ApiGateway::ApiKey', {
      Value: {
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^\\{\\{resolve:secretsmanager:$')])],
      },
    });
  });

  test('apiKeySecret names the secret a role reads; the same secret on every call', () => {
    const { stack } = newStack();
    const a = restApi(stack);
    const roles = grantAll(stack, a);
    expect(a.apiKeySecret(roles.own)).toBe(a.apiKeySecret(roles.own));
    expect(a.apiKeySecret(roles.pooled)).not.toBe(a.apiKeySecret(roles.own));
  });

  test('passes cdk-nag AwsSolutions', () => {
    const { app, stack } = newStack({ nag: true });
    grantAll(stack, restApi(stack));
    expect(synthWithNag(app).filter((v) => v.paths.some((p) => p.startsWith('/Test/Api')))).toEqual([]);
  });
});

describe('SecuredRestApi usageTiers with roleArn assignments: refused', () => {
  test('a role listed twice', () => {
    const { stack } = newStack();
    expectValidationError(
      () =>
        restApi(stack, {
          ...TIERS,
          assignments: [...TIERS.assignments!, { roleArn: POOLED_ROLE, tier: 'free' }],
        }),
      'usageTiers.assignments[3].roleArn',
      `SecuredRestApi: usageTiers.assignments[3].roleArn: ${POOLED_ROLE} is already assigned by usageTiers.assignments[1]; an IAM role gets one tier (one API key): remove one`,
    );
  });

  test('a cross-account grant (the role could not read its key)', () => {
    const { stack } = newStack();
    const a = restApi(stack);
    expectValidationError(
      () =>
        a.allowCrossAccountInvoke(
          new iam.ArnPrincipal('arn:aws:iam::444455556666:role/x'),
          HttpMethod.GET,
          '/machine/models',
        ),
      'principal',
      'SecuredRestApi.allowCrossAccountInvoke: with roleArn usage tiers every IAM caller reads its API key from Secrets Manager, which a principal of another account cannot do for a secret under the aws/secretsmanager key (https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html); grant a role of this account',
    );
  });
});
