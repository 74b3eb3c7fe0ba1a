import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import type { StageConfig } from '../../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../../common/app-config';
import { buildKeygateApp } from '../../../lib/app/build-app';
import type { NagViolation } from '../helpers';
import { synthWithNag } from '../helpers';
import { expectValidationError } from '../validation';
import { stageApp } from '../../support/stage-app';

const CLIENT_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate/web-browser-AbCdEf';
const SIGN_IN_ROUTE_KEYS = [
  'GET /auth/login',
  'GET /auth/callback',
  'GET /auth/refresh',
  'POST /auth/refresh',
  'GET /auth/logout',
  'POST /auth/logout',
];

function authorizerConfig(template: Template): Record<string, unknown> {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (f) => f.Properties.Environment?.Variables?.KEYGATE_CONFIG !== undefined,
  );
  expect(fns).toHaveLength(1);
  // The keyring ARN is a reference, so the config is an Fn::Join of literal parts and that reference.
  const value = fns[0].Properties.Environment.Variables.KEYGATE_CONFIG as { 'Fn::Join': [string, unknown[]] };
  const text = value['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'KEYS_ARN')).join('');
  return JSON.parse(text) as Record<string, unknown>;
}

describe('Keygate app (stage with browser sign-in, confidential client, both APIs)', () => {
  const dev = DEFAULT_APP_CONFIG.stages.dev;
  const stage: StageConfig = {
    ...dev,
    // A cache TTL is refused with sign-in on; leaving it out lets the authorizer default it to 0.
    authorizer: { responseMode: 'iam' },
    browserSignIn: {
      clientId: 'keygate-browser',
      clientSecretName: CLIENT_SECRET_ARN,
      cookieName: 'kg_session',
      maxSessionSeconds: 3600,
      allowedOrigins: ['https://app.example.com'],
    },
  };
  let template: Template;
  let violations: NagViolation[];

  beforeAll(() => {
    // GIVEN a stage that turns browser sign-in on
    const app = stageApp('web', stage);
    // WHEN
    const stack = buildKeygateApp(app);
    violations = synthWithNag(app);
    template = Template.fromStack(stack);
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(violations).toEqual([]);
  });

  test('adds the sign-in routes to the HTTP API without an authorizer', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    const signIn = routes.filter((r) => SIGN_IN_ROUTE_KEYS.includes(r.RouteKey as string));
    expect(signIn.map((r) => r.RouteKey).sort()).toEqual([...SIGN_IN_ROUTE_KEYS].sort());
    for (const r of signIn) {
      expect(r.AuthorizerId).toBeUndefined();
      expect(r.AuthorizationType ?? 'NONE').toBe('NONE');
    }
    // The configured routes keep their authorizer.
    const me = routes.find((r) => r.RouteKey === 'GET /me');
    expect(me?.AuthorizationType).toBe('CUSTOM');
  });

  test('adds the sign-in methods to the REST API with authorization NONE', () => {
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const idOf = (part: string, parent?: string) =>
      Object.entries(resources).find(
        ([, r]) =>
          r.Properties.PathPart === part && (parent === undefined || r.Properties.ParentId?.Ref === parent),
      )?.[0];
    const auth = idOf('auth');
    expect(auth).toBeDefined();
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
    for (const [part, verbs] of [
      ['login', ['GET']],
      ['callback', ['GET']],
      ['refresh', ['GET', 'POST']],
      ['logout', ['GET', 'POST']],
    ] as const) {
      const id = idOf(part, auth);
      expect(id, part).toBeDefined();
      // CORS preflight (a mock OPTIONS method, as on every resource of the API) is not a sign-in method.
      const onResource = methods.filter((m) => m.ResourceId?.Ref === id && m.HttpMethod !== 'OPTIONS');
      expect(onResource.map((m) => m.HttpMethod).sort()).toEqual([...verbs]);
      for (const m of onResource) {
        expect(m.AuthorizationType).toBe('NONE');
        expect(m.AuthorizerId).toBeUndefined();
      }
    }
  });

  test('turns result caching off on both API Gateway authorizers', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
    });
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
    });
  });

  test('gives the authorizer the Parameters and Secrets extension and the sessions it opens', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.KEYGATE_CONFIG !== undefined,
    );
    expect(JSON.stringify(fn?.Properties.Layers)).toMatch(/AWS-Parameters-and-Secrets-Lambda-Extension/);
    const config = authorizerConfig(template);
    expect(config.session).toEqual({
      keysSecretId: 'KEYS_ARN',
      cookieName: 'kg_session',
      allowedOrigins: ['https://app.example.com'],
      browserRoutes: ['GET /me'],
    });
  });

  test('accepts access tokens issued to the sign-in client besides the people and service clients', () => {
    const issuers = authorizerConfig(template).issuers as { allowedClients?: string[] }[];
    expect(issuers[0].allowedClients).toEqual(['keygate-web', 'keygate-browser', 'batch-scorer']);
  });

  test('signs in with the configured confidential client, its secret by ARN only', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.KEYGATE_SIGN_IN_CONFIG !== undefined,
    );
    const text = JSON.stringify(fn?.Properties.Environment.Variables.KEYGATE_SIGN_IN_CONFIG);
    expect(text).toContain('\\"clientId\\":\\"keygate-browser\\"');
    expect(text).toContain(`\\"clientSecretId\\":\\"${CLIENT_SECRET_ARN}\\"`);
    expect(text).toContain('\\"maxSessionSeconds\\":3600');
    expect(text).toContain('\\"cookieName\\":\\"kg_session\\"');
  });

  test('holds no secret value in plain text: the keyring is generated, the client secret referenced', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: JSON.stringify({ current: 'k1' }),
        GenerateStringKey: 'k1',
      }),
    });
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/"SecretString"/);
    // The sign-in function reads the client secret; nothing else about it is in the template.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: CLIENT_SECRET_ARN,
          }),
        ]),
      },
    });
  });

  test('outputs the sign-in and callback URL of each API', () => {
    const outputs = template.findOutputs('*');
    for (const api of ['HttpApi', 'RestApi']) {
      for (const [name, suffix] of [
        [`${api}SignInUrl`, 'auth/login'],
        [`${api}SignInCallbackUrl`, 'auth/callback'],
      ]) {
        const value = JSON.stringify(outputs[name]?.Value);
        expect(value, name).toMatch(new RegExp(`${suffix}"\\]\\]\\}$`));
      }
    }
  });
});

describe('Keygate app (stage with browser sign-in, public client, HTTP API only)', () => {
  const dev = DEFAULT_APP_CONFIG.stages.dev;
  let template: Template;
  let violations: NagViolation[];

  beforeAll(() => {
    // GIVEN the smallest switch: an empty block, the people client, one API
    const app = stageApp('web', {
      ...dev,
      authorizer: undefined,
      apis: { http: true, rest: false },
      // Usage tiers and streaming routes need the REST API.
      usageTiers: undefined,
      routes: dev.routes.filter((r) => r.stream !== true),
      browserSignIn: {},
    });
    // WHEN
    const stack = buildKeygateApp(app);
    violations = synthWithNag(app);
    template = Template.fromStack(stack);
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(violations).toEqual([]);
  });

  test('signs in with the people client as a public client (no client secret)', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.KEYGATE_SIGN_IN_CONFIG !== undefined,
    );
    const text = JSON.stringify(fn?.Properties.Environment.Variables.KEYGATE_SIGN_IN_CONFIG);
    expect(text).toContain('\\"clientId\\":\\"keygate-web\\"');
    expect(text).not.toContain('clientSecretId');
  });

  test('outputs the HTTP API sign-in URL only', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.filter((o) => o.includes('SignIn')).sort()).toEqual([
      'HttpApiSignInCallbackUrl',
      'HttpApiSignInUrl',
    ]);
  });
});

describe('Keygate app (default stage)', () => {
  test('keeps browser sign-in off', () => {
    expect(DEFAULT_APP_CONFIG.stages.dev.browserSignIn).toBeUndefined();
  });

  test('fails synth when a browser-sign-in stage keeps a result cache, naming the field', () => {
    const app = new App({
      context: { keygate: { stages: { dev: { ...DEFAULT_APP_CONFIG.stages.dev, browserSignIn: {} } } } },
    });
    expectValidationError(
      () => buildKeygateApp(app),
      'keygate.stages.dev.authorizer.cacheTtlSeconds',
      'Invalid Keygate configuration:\n  keygate.stages.dev.authorizer.cacheTtlSeconds must be 0 or left out with keygate.stages.dev.browserSignIn: ' +
        'a request may carry its credentials in the Authorization header or in the session cookie, and API Gateway caches only by a source every request has',
    );
  });
});
