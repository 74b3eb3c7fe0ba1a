import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Token, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, test } from 'vitest';
import type { StageConfig } from '../../../common/app-config';
import { COGNITO_FEDERATION_ISSUER, DEFAULT_APP_CONFIG } from '../../../common/app-config';
import { USAGE_INSIGHTS_QUERY } from '../../../common/usage-record';
import { buildKeygateApp } from '../../../lib/app/build-app';
import type { NagViolation } from '../helpers';
import { invokeGrantDocument, synthWithNag } from '../helpers';
import { expectValidationError } from '../validation';

function appWith(context: Record<string, unknown>, bundle: boolean): App {
  const app = new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-app-')),
    context: bundle ? context : { ...context, 'aws:cdk:bundling-stacks': [] },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** Asset hashes change with every dependency bump; the snapshot is about the template's shape. */
function normalized(template: Template): unknown {
  const json = JSON.stringify(template.toJSON());
  return JSON.parse(json.replace(/[0-9a-f]{64}(\.zip|\.json)?/g, 'HASH$1'));
}

describe('Keygate app (default configuration)', () => {
  let template: Template;
  let violations: NagViolation[];
  let stackName: string;
  let accountIsToken: boolean;

  beforeAll(() => {
    // GIVEN the embedded default, as `npx cdk synth` uses it (bundling included)
    const app = appWith({}, true);
    // WHEN
    const stack = buildKeygateApp(app);
    stackName = stack.stackName;
    accountIsToken = Token.isUnresolved(stack.account);
    violations = synthWithNag(app);
    template = Template.fromStack(stack);
  });

  test('synthesizes the dev stage', () => {
    expect(stackName).toBe('Keygate-dev');
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(violations).toEqual([]);
  });

  test('is environment-agnostic: the account is resolved at deployment, not looked up at synth', () => {
    expect(accountIsToken).toBe(true);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { S3Bucket: { 'Fn::Sub': Match.stringLikeRegexp('\\$\\{AWS::AccountId\\}') } },
    });
  });

  test('outputs both API URLs and the authorizer function name', () => {
    // Each URL is the execute-api host of its own API (CDK joins it from the API's Ref).
    const outputs = template.findOutputs('*');
    expect(outputs.HttpApiUrl.Description).toBe('HTTP API URL');
    expect(JSON.stringify(outputs.HttpApiUrl.Value)).toMatch(
      /^\{"Fn::Join":\["",\["https:\/\/",\{"Ref":"[A-Za-z0-9]*HttpApi[A-Za-z0-9]*"\},"\.execute-api\./,
    );
    expect(outputs.RestApiUrl.Description).toBe('REST API URL');
    expect(JSON.stringify(outputs.RestApiUrl.Value)).toMatch(
      /^\{"Fn::Join":\["",\["https:\/\/",\{"Ref":"[A-Za-z0-9]*RestApi[A-Za-z0-9]*"\},"\.execute-api\./,
    );
    template.hasOutput('AuthorizerFunctionName', {
      Value: { Ref: Match.stringLikeRegexp('^AuthorizerFunction') },
    });
  });

  test('serves every default route on both APIs', () => {
    const httpKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey,
    );
    expect(httpKeys.sort()).toEqual(
      [
        'GET /me',
        'GET /models',
        'POST /models/{modelId}/invoke',
        'GET /machine/models',
        'POST /machine/models/{modelId}/invoke',
      ].sort(),
    );
    const restMethods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
      (m) => m.Properties.HttpMethod !== 'OPTIONS',
    );
    expect(restMethods.map((m) => m.Properties.AuthorizationType).sort()).toEqual([
      'AWS_IAM',
      'AWS_IAM',
      'AWS_IAM',
      'CUSTOM',
      'CUSTOM',
      'CUSTOM',
      'CUSTOM',
    ]);
  });

  test('saves the usage query per stage and names the backend log group in an output', () => {
    template.hasResourceProperties('AWS::Logs::QueryDefinition', {
      Name: 'keygate/dev/usage-by-caller-and-model',
      QueryString: USAGE_INSIGHTS_QUERY,
    });
    template.hasOutput('ModelsLogGroupName', { Value: { Ref: Match.stringLikeRegexp('^ModelsLogGroup') } });
  });

  test('streams POST /models/{modelId}/stream and POST /machine/models/{modelId}/stream on the REST API only, from the streaming function', () => {
    const streamFunctions = template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'index.streamHandler' },
    });
    expect(Object.keys(streamFunctions)).toHaveLength(1);
    const [streamFn] = Object.keys(streamFunctions);
    const streaming = Object.values(template.findResources('AWS::ApiGateway::Method')).filter(
      (m) => m.Properties.Integration?.ResponseTransferMode === 'STREAM',
    );
    expect(streaming).toHaveLength(2);
    expect(streaming.map((m) => m.Properties.AuthorizationType).sort()).toEqual(['AWS_IAM', 'CUSTOM']);
    for (const m of streaming) {
      expect(m.Properties).toMatchObject({
        HttpMethod: 'POST',
        Integration: { Type: 'AWS_PROXY', TimeoutInMillis: 900000 },
      });
      const uri = JSON.stringify(m.Properties.Integration.Uri);
      expect(uri).toContain('/response-streaming-invocations');
      expect(uri).toContain(streamFn);
    }
    const httpKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey,
    );
    expect(httpKeys).not.toContain('POST /models/{modelId}/stream');
    expect(httpKeys).not.toContain('POST /machine/models/{modelId}/stream');
  });

  test('grants execute-api:Invoke to no role (the default stage lists no machine principal)', () => {
    expect(invokeGrants(template)).toEqual([]);
  });

  test('matches the snapshot', () => {
    expect(normalized(template)).toMatchSnapshot();
  });
});

describe('Keygate app (configured stages)', () => {
  const dev = DEFAULT_APP_CONFIG.stages.dev;
  const prod: StageConfig = {
    ...dev,
    account: '111122223333',
    region: 'eu-central-1',
    apis: { http: false, rest: true },
    cognitoFederation: {
      domainPrefix: 'keygate-prod',
      keycloakClientId: 'keygate-cognito',
      clientSecretName: 'keygate/prod/keycloak-client',
      callbackUrls: ['https://app.example.com/callback'],
    },
    // Two issuers (the realm and the pool that federates it): every keycloak route names its issuers.
    routes: [
      ...dev.routes.map((r) =>
        r.auth === 'keycloak'
          ? {
              ...r,
              requirement: { ...r.requirement, issuers: [dev.keycloak.issuer, COGNITO_FEDERATION_ISSUER] },
            }
          : r,
      ),
      { method: 'GET', path: '/profile', auth: 'cognito-user-pool' },
    ],
    machinePrincipals: [
      {
        roleArn: 'arn:aws:iam::111122223333:role/batch-scorer',
        routes: ['POST /machine/models/{modelId}/invoke'],
      },
      {
        roleArn: 'arn:aws:iam::444455556666:role/partner',
        routes: ['GET /machine/models'],
        crossAccount: true,
      },
    ],
    alarmEmail: 'ops@example.com',
  };
  let template: Template;
  let violations: NagViolation[];

  beforeAll(() => {
    // GIVEN two stages in context, prod selected with -c stage=prod
    const app = appWith({ keygate: { stages: { dev, prod } }, stage: 'prod' }, false);
    // WHEN
    const stack = buildKeygateApp(app);
    violations = synthWithNag(app);
    template = Template.fromStack(stack);
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(violations).toEqual([]);
  });

  test('outputs the user pool id and ARN', () => {
    template.hasOutput('UserPoolId', { Value: { Ref: Match.stringLikeRegexp('^FederationUserPool') } });
    template.hasOutput('UserPoolArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FederationUserPool'), 'Arn'] },
    });
  });

  test('trusts the federated user pool in the authorizer', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          KEYGATE_CONFIG: {
            'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^FederationUserPool') }])],
          },
        }),
      },
    });
  });

  test("scopes the model backend's invoke requirement to the realm and the pool", () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          KEYGATE_MODELS_CONFIG: {
            'Fn::Join': [
              '',
              Match.arrayWith([
                Match.stringLikeRegexp(
                  `"issuers":\\["${dev.keycloak.issuer.replace(/[.]/g, '\\.')}","https://cognito-idp\\.`,
                ),
                { Ref: Match.stringLikeRegexp('^FederationUserPool') },
              ]),
            ],
          },
        }),
      },
    });
  });

  test('protects the signed-in-only route with the native Cognito authorizer', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      AuthorizationType: 'COGNITO_USER_POOLS',
    });
  });

  test('grants a same-account machine role exactly its route', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['batch-scorer'],
      PolicyDocument: invokeGrantDocument('eu-central-1', 'RestApi', '/prod/POST/machine/models/*/invoke'),
    });
  });

  test('never grants execute-api:Invoke on a wildcard API, stage or method', () => {
    // One identity grant: the same-account role. The other account is admitted by the resource policy.
    const grants = invokeGrants(template);
    expect(grants).toHaveLength(1);
    for (const s of grants) {
      expect(JSON.stringify(s.Resource)).not.toMatch(/:\*\/|\/\*\/\*|execute-api:\*/);
    }
  });

  test('admits the other account through the REST resource policy', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      Policy: {
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::444455556666:role/partner' },
            Resource: 'execute-api:/prod/GET/machine/models',
          },
        ],
      },
    });
  });

  test('sends alarms to an email subscription over an SSL-only topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  });

  test('creates no HTTP API when the stage turns it off', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
  });

  test('keeps the client secret out of the template', () => {
    const json = JSON.stringify(template.toJSON());
    expect(json).toContain('{{resolve:secretsmanager:');
    expect(json).not.toMatch(/"ClientSecret":"[^{]/);
  });
});

/** Every IAM policy statement of the template that grants execute-api:Invoke. */
function invokeGrants(t: Template): { Action: unknown; Resource: unknown }[] {
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    )
    .filter((s) => [s.Action].flat().includes('execute-api:Invoke'));
}

describe('Keygate app (invalid configuration)', () => {
  test('fails synth with every error, each naming its field', () => {
    const app = new App({
      context: {
        keygate: { stages: { dev: { ...DEFAULT_APP_CONFIG.stages.dev, region: 'mars', models: [] } } },
      },
    });
    expectValidationError(
      () => buildKeygateApp(app),
      'keygate.stages.dev.region',
      'Invalid Keygate configuration:\n  keygate.stages.dev.region must be an AWS region such as eu-west-1\n  keygate.stages.dev.models must list at least one model',
    );
  });

  test('rejects -c keygate=... that is not JSON', () => {
    const app = new App({ context: { keygate: '{stages:' } });
    expectValidationError(
      () => buildKeygateApp(app),
      'keygate',
      'Invalid Keygate configuration:\n  keygate: the -c keygate=... value is not valid JSON',
    );
  });

  test.each<[string, Record<string, unknown>, string, string]>([
    [
      'a client role not written client:role',
      {
        routes: [
          ...DEFAULT_APP_CONFIG.stages.dev.routes,
          { method: 'GET', path: '/ops', auth: 'keycloak', requirement: { allOf: { clientRoles: ['ops'] } } },
        ],
      },
      `keygate.stages.dev.routes[${DEFAULT_APP_CONFIG.stages.dev.routes.length}].requirement.allOf.clientRoles[0]`,
      `keygate.stages.dev.routes[${DEFAULT_APP_CONFIG.stages.dev.routes.length}].requirement.allOf.clientRoles: 'ops' must be written client:role`,
    ],
    [
      'a usage tier quota without a period',
      {
        usageTiers: {
          tiers: { batch: { rateLimit: 1, burstLimit: 1, quota: { limit: 5 } } },
          defaultTier: 'batch',
        },
      },
      'keygate.stages.dev.usageTiers.tiers.batch.quota.period',
      'keygate.stages.dev.usageTiers.tiers.batch.quota.period must be one of DAY, WEEK, MONTH: a usage plan counts a quota per day, week or month',
    ],
    [
      'an http issuer without the development opt-in',
      { keycloak: { ...DEFAULT_APP_CONFIG.stages.dev.keycloak, issuer: 'http://sso.example.com/realms/ml' } },
      'keygate.stages.dev.keycloak.issuer',
      "keygate.stages.dev.keycloak.issuer must be the realm's https issuer URL without a trailing slash (a development Keycloak's http issuer needs insecureHttpIssuerForDevelopmentOnly: true)",
    ],
  ])('names the exact field of %s', (_, change, field, message) => {
    const app = new App({
      context: { keygate: { stages: { dev: { ...DEFAULT_APP_CONFIG.stages.dev, ...change } } } },
    });
    expectValidationError(() => buildKeygateApp(app), field, `Invalid Keygate configuration:\n  ${message}`);
  });

  test('rejects a stage that is not configured', () => {
    const app = new App({ context: { stage: 'qa' } });
    expectValidationError(
      () => buildKeygateApp(app),
      'stage',
      "Invalid Keygate configuration:\n  stage 'qa' is not in keygate.stages (dev)",
    );
  });
});

describe('Keygate app (a machine principal granted the streaming route)', () => {
  const dev = DEFAULT_APP_CONFIG.stages.dev;
  let template: Template;

  beforeAll(() => {
    // GIVEN the dev stage (both APIs) with a same-account role granted the invoke and the streaming route
    const stage: StageConfig = {
      ...dev,
      account: '111122223333',
      region: 'eu-central-1',
      machinePrincipals: [
        {
          roleArn: 'arn:aws:iam::111122223333:role/batch-scorer',
          routes: ['POST /machine/models/{modelId}/invoke', 'POST /machine/models/{modelId}/stream'],
        },
      ],
    };
    const app = appWith({ keygate: { stages: { dev: stage } } }, false);
    // WHEN
    template = Template.fromStack(buildKeygateApp(app));
  });

  test('synthesizes, granting the streaming route on the REST API only (the HTTP API has no such route)', () => {
    const resources = invokeGrants(template).map((s) => JSON.stringify(s.Resource));
    expect(resources).toHaveLength(3);
    expect(resources.filter((r) => r.includes('/POST/machine/models/*/stream'))).toEqual([
      expect.stringMatching(/"Ref":"RestApi/),
    ]);
    expect(resources.filter((r) => r.includes('/POST/machine/models/*/invoke'))).toHaveLength(2);
  });

  test('grants the streaming route exactly its method ARN on the REST API stage', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['batch-scorer'],
      PolicyDocument: {
        Statement: Match.arrayWith([
          invokeGrantDocument('eu-central-1', 'RestApi', '/dev/POST/machine/models/*/stream').Statement[0],
        ]),
      },
    });
  });
});
