import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { FeaturePlan } from 'aws-cdk-lib/aws-cognito';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { COGNITO_ROLES_ATTRIBUTE, COGNITO_ROLES_CLAIM } from '../../../common/identity-context';
import type { KeycloakFederatedUserPoolProps } from '../../../lib/federation/keycloak-federated-user-pool';
import { KeycloakFederatedUserPool } from '../../../lib/federation/keycloak-federated-user-pool';
import { buildLambdas } from '../../../scripts/build-lambdas';
import { expectValidationError } from '../validation';

const ENV = { account: '123456789012', region: 'eu-west-1' };

function props(
  stack: Stack,
  overrides: Partial<KeycloakFederatedUserPoolProps> = {},
): KeycloakFederatedUserPoolProps {
  return {
    keycloakIssuerUrl: 'https://keycloak.example.com/realms/keygate',
    keycloakClientId: 'keygate-cognito',
    keycloakClientSecret: Secret.fromSecretNameV2(
      stack,
      `Secret${stack.node.children.length}`,
      'keygate/cognito-client',
    ),
    domainPrefix: 'keygate-dev',
    callbackUrls: ['https://app.example.com/callback', 'http://localhost:5173/callback'],
    ...overrides,
  };
}

/** Every string in a template, with the JSON path that leads to it. */
function strings(node: unknown, at = '$'): [string, string][] {
  if (typeof node === 'string') return [[at, node]];
  if (Array.isArray(node)) return node.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (node && typeof node === 'object')
    return Object.entries(node).flatMap(([k, v]) => strings(v, `${at}.${k}`));
  return [];
}

describe('KeycloakFederatedUserPool (default: Essentials)', () => {
  let app: App;
  let stack: Stack;
  let pool: KeycloakFederatedUserPool;
  let template: Template;
  let synthError: unknown;
  let assemblyDir: string;

  beforeAll(async () => {
    // The construct deploys the prebuilt bundle (assets/lambda/pre-token-generation): build it from the
    // current sources, as `npm ci` / `npm run build:lambdas` do.
    await buildLambdas();
    // GIVEN a stack with the construct and the AwsSolutions checks registered
    app = new App();
    stack = new Stack(app, 'Federation', { env: ENV });
    pool = new KeycloakFederatedUserPool(stack, 'Fed', props(stack));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // WHEN the app is synthesized (validation plugins run here and throw on any unacknowledged finding)
    try {
      assemblyDir = app.synth().directory;
    } catch (e) {
      synthError = e;
    }
    template = Template.fromStack(stack);
  });

  it('passes cdk-nag AwsSolutions with zero unacknowledged findings (and no CloudFormation validation warnings)', () => {
    expect(synthError).toBeUndefined();
    // No error annotation either (one would mean, for example, a bundle older than its sources).
    Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
  });

  it('records a reason for every acknowledged cdk-nag rule', () => {
    const acks = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([id, reason]) => ({ id: id.replace(/^.*::/, ''), reason }));
    const ids = acks.map((a) => a.id).sort();
    expect(ids).toEqual(['AwsSolutions-COG2', 'AwsSolutions-COG3', 'AwsSolutions-COG8', 'AwsSolutions-L1']);
    expect(acks.every((a) => typeof a.reason === 'string' && a.reason.length > 40)).toBe(true);
  });

  it('creates an Essentials user pool with the roles attribute and no self sign-up', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'ESSENTIALS',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: Match.arrayWith([
        {
          AttributeDataType: 'String',
          Mutable: true,
          Name: COGNITO_ROLES_ATTRIBUTE.replace('custom:', ''),
          StringAttributeConstraints: { MinLength: '0', MaxLength: '2048' },
        },
      ]),
      UserPoolAddOns: Match.absent(),
    });
    template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
  });

  it('adds the pre-token-generation trigger with event version V2_0', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: {
        PreTokenGenerationConfig: {
          LambdaVersion: 'V2_0',
          LambdaArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FedPreTokenGeneration'), 'Arn'] },
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'cognito-idp.amazonaws.com',
    });
  });

  it('bundles the trigger for Node 22 on arm64 with the provider name in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 5,
      Environment: { Variables: Match.objectLike({ KEYGATE_IDP_NAME: 'Keycloak' }) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('ships a self-contained CommonJS bundle whose handler writes the roles claim', async () => {
    // GIVEN the bundled asset of the trigger (what Lambda runs)
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const key = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
    const bundle = join(assemblyDir, `asset.${key}`, 'index.js');
    expect(existsSync(bundle)).toBe(true);
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/require\(["']@aws-lambda-powertools/);
    // WHEN it handles a real-shaped V2_0 event
    const event = JSON.parse(
      readFileSync(join(__dirname, '../../lambda/pre-token-generation/fixtures/hosted-auth-v2.json'), 'utf8'),
    );
    process.env.KEYGATE_IDP_NAME = 'Keycloak';
    const { handler } = createRequire(__filename)(bundle) as {
      handler: (e: unknown) => Promise<PreTokenGenerationV2TriggerEvent>;
    };
    const out = await handler(event).finally(() => delete process.env.KEYGATE_IDP_NAME);
    // THEN the access token gets the roles
    expect(out.response.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride).toEqual({
      [COGNITO_ROLES_CLAIM]: ['model-user', 'model:sentiment:invoke', 'keygate-api:model-user'],
    });
  });

  it('federates Keycloak over OIDC and maps its roles claim into the custom attribute', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'Keycloak',
      ProviderType: 'OIDC',
      ProviderDetails: Match.objectLike({
        client_id: 'keygate-cognito',
        oidc_issuer: 'https://keycloak.example.com/realms/keygate',
        authorize_scopes: 'openid profile email',
        attributes_request_method: 'GET',
      }),
      AttributeMapping: {
        [COGNITO_ROLES_ATTRIBUTE]: 'kc_roles',
        email: 'email',
        preferred_username: 'preferred_username',
      },
    });
  });

  it('reads the client secret from Secrets Manager: only a dynamic reference is in the template', () => {
    const idp = Object.values(template.findResources('AWS::Cognito::UserPoolIdentityProvider'))[0];
    const secret = JSON.stringify(idp.Properties.ProviderDetails.client_secret);
    expect(secret).toContain('{{resolve:secretsmanager:');
    expect(secret).toContain('secret:keygate/cognito-client:SecretString:::}}');
    // Every string under any client_secret key of the whole template is part of a dynamic reference.
    const found = strings(template.toJSON()).filter(([at]) => /client_?secret/i.test(at));
    expect(found.length).toBeGreaterThan(0);
    const joined = found.map(([, v]) => v).join('');
    expect(joined.startsWith('{{resolve:secretsmanager:')).toBe(true);
    expect(joined.endsWith(':SecretString:::}}')).toBe(true);
  });

  it('creates the people app client: code grant, no secret, only the Keycloak provider, no admin scope', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['Keycloak'],
      CallbackURLs: ['https://app.example.com/callback', 'http://localhost:5173/callback'],
      LogoutURLs: ['https://app.example.com/callback', 'http://localhost:5173/callback'],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      WriteAttributes: Match.arrayWith([COGNITO_ROLES_ATTRIBUTE]),
      AccessTokenValidity: 60,
    });
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0];
    // The client names the provider, so it is created after it: it depends on exactly that provider.
    const providers = Object.keys(template.findResources('AWS::Cognito::UserPoolIdentityProvider'));
    expect(providers).toHaveLength(1);
    expect(client.DependsOn).toEqual(providers);
  });

  it('creates the Cognito domain', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'keygate-dev' });
    expect(pool.hostedUiBaseUrl).toBe('https://keygate-dev.auth.eu-west-1.amazoncognito.com');
  });

  it('exposes the pool and its app clients for the authorizer to trust, and the roles claim name', () => {
    expect(stack.resolve(pool.userPool.userPoolId)).toEqual({ Ref: expect.stringMatching(/^FedUserPool/) });
    expect(pool.appClients).toEqual([pool.peopleClient]);
    expect(stack.resolve(pool.appClients[0].userPoolClientId)).toEqual({
      Ref: expect.stringMatching(/^FedPeopleClient/),
    });
    expect(pool.rolesClaim).toBe(COGNITO_ROLES_CLAIM);
    const issuer = pool.trustedIssuer()._config;
    expect(issuer.kind).toBe('cognito');
    expect(stack.resolve(issuer)).toEqual({
      kind: 'cognito',
      userPoolId: { Ref: expect.stringMatching(/^FedUserPool/) },
      region: 'eu-west-1',
      allowedClients: [{ Ref: expect.stringMatching(/^FedPeopleClient/) }],
    });
    expect(pool.featurePlan).toBe(FeaturePlan.ESSENTIALS);
  });
});

describe('KeycloakFederatedUserPool options', () => {
  it('Plus plan turns on threat protection; a JSON field of the secret, custom names and lifetimes are used', () => {
    const app = new App();
    const stack = new Stack(app, 'Plus', { env: ENV });
    new KeycloakFederatedUserPool(
      stack,
      'Fed',
      props(stack, {
        featurePlan: FeaturePlan.PLUS,
        keycloakClientSecretField: 'clientSecret',
        keycloakRolesClaim: 'roles',
        identityProviderName: 'CorpSSO',
        logoutUrls: ['https://app.example.com/bye'],
        accessTokenValidity: Duration.minutes(15),
      }),
    );
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
    const idp = Object.values(t.findResources('AWS::Cognito::UserPoolIdentityProvider'))[0];
    expect(idp.Properties.ProviderName).toBe('CorpSSO');
    expect(idp.Properties.AttributeMapping[COGNITO_ROLES_ATTRIBUTE]).toBe('roles');
    expect(JSON.stringify(idp.Properties.ProviderDetails.client_secret)).toContain(
      ':SecretString:clientSecret::}}',
    );
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      SupportedIdentityProviders: ['CorpSSO'],
      LogoutURLs: ['https://app.example.com/bye'],
      AccessTokenValidity: 15,
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KEYGATE_IDP_NAME: 'CorpSSO' }) },
    });
  });
});

describe('KeycloakFederatedUserPool validation', () => {
  it.each<[string, Partial<KeycloakFederatedUserPoolProps>, string, string]>([
    [
      'a LITE feature plan',
      { featurePlan: FeaturePlan.LITE },
      'featurePlan',
      'KeycloakFederatedUserPool: featurePlan must be ESSENTIALS or PLUS: access-token customization (pre token generation V2_0) is not available on LITE',
    ],
    [
      'an http issuer',
      { keycloakIssuerUrl: 'http://keycloak.example.com/realms/keygate' },
      'keycloakIssuerUrl',
      "KeycloakFederatedUserPool: keycloakIssuerUrl 'http://keycloak.example.com/realms/keygate' must be https://<host>/realms/<realm> (no trailing slash)",
    ],
    [
      'an issuer with a trailing slash',
      { keycloakIssuerUrl: 'https://keycloak.example.com/realms/keygate/' },
      'keycloakIssuerUrl',
      "KeycloakFederatedUserPool: keycloakIssuerUrl 'https://keycloak.example.com/realms/keygate/' must be https://<host>/realms/<realm> (no trailing slash)",
    ],
    [
      'an upper-case domain prefix',
      { domainPrefix: 'Keygate' },
      'domainPrefix',
      "KeycloakFederatedUserPool: domainPrefix 'Keygate' must be 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen",
    ],
    [
      'a reserved word in the domain prefix',
      { domainPrefix: 'my-cognito-login' },
      'domainPrefix',
      "KeycloakFederatedUserPool: domainPrefix 'my-cognito-login' must not contain aws, amazon or cognito",
    ],
    [
      'no callback URLs',
      { callbackUrls: [] },
      'callbackUrls',
      'KeycloakFederatedUserPool: callbackUrls must list at least one URL',
    ],
    [
      'an http callback URL',
      { callbackUrls: ['http://app.example.com/cb'] },
      'callbackUrls',
      "KeycloakFederatedUserPool: callbackUrls entry 'http://app.example.com/cb' must be an https URL (http only for localhost), without a fragment",
    ],
    [
      'a logout URL with a fragment',
      { logoutUrls: ['https://app.example.com/#bye'] },
      'logoutUrls',
      "KeycloakFederatedUserPool: logoutUrls entry 'https://app.example.com/#bye' must be an https URL (http only for localhost), without a fragment",
    ],
    [
      'a reserved provider name',
      { identityProviderName: 'Google' },
      'identityProviderName',
      "KeycloakFederatedUserPool: identityProviderName 'Google' is reserved by Cognito",
    ],
    [
      'a too short provider name',
      { identityProviderName: 'kc' },
      'identityProviderName',
      'KeycloakFederatedUserPool: identityProviderName must be 3-32 characters, without spaces or underscores at either end',
    ],
    [
      'a roles claim with spaces',
      { keycloakRolesClaim: 'kc roles' },
      'keycloakRolesClaim',
      'KeycloakFederatedUserPool: keycloakRolesClaim must be 1-255 of A-Z a-z 0-9 _ . : -',
    ],
    [
      'an access token lifetime over a day',
      { accessTokenValidity: Duration.hours(25) },
      'accessTokenValidity',
      'KeycloakFederatedUserPool: accessTokenValidity must be between 5 minutes and 1 day',
    ],
    [
      'a missing client secret',
      { keycloakClientSecret: undefined },
      'keycloakClientSecret',
      'KeycloakFederatedUserPool: keycloakClientSecret must be a Secrets Manager secret (ISecret)',
    ],
    [
      'an empty client id',
      { keycloakClientId: '' },
      'keycloakClientId',
      'KeycloakFederatedUserPool: keycloakClientId must be 1-255 printable characters',
    ],
  ])('rejects %s', (_case, overrides, field, message) => {
    const stack = new Stack(new App(), 'Invalid', { env: ENV });
    const given = props(stack, overrides);
    const before = JSON.stringify({ ...given, keycloakClientSecret: undefined });
    expectValidationError(() => new KeycloakFederatedUserPool(stack, 'Fed', given), field, message);
    // props are never mutated
    expect(JSON.stringify({ ...given, keycloakClientSecret: undefined })).toBe(before);
  });
});
