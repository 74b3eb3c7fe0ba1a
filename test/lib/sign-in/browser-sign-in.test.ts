import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, test } from 'vitest';
import { BrowserSignIn } from '../../../lib/sign-in';
import type { BrowserSignInProps } from '../../../lib/sign-in';
import { expectValidationError } from '../validation';

const ISSUER = 'https://sso.example.com/realms/ml';

function newStack(opts: { nag?: boolean } = {}) {
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-signin-')) });
  if (opts.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
  return { app, stack };
}

function configOf(template: Template): Record<string, unknown> {
  const fns = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { KEYGATE_SIGN_IN_CONFIG: Match.anyValue() } } },
  });
  const [fn] = Object.values(fns);
  const raw = (fn.Properties as { Environment: { Variables: { KEYGATE_SIGN_IN_CONFIG: unknown } } })
    .Environment.Variables.KEYGATE_SIGN_IN_CONFIG;
  // Fn::Join of literal parts and a secret Ref: rebuild the JSON with the Ref rendered as a marker.
  const joined = (raw as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
    .map((p) => (typeof p === 'string' ? p : `<${JSON.stringify(p).replace(/"/g, "'")}>`))
    .join('');
  return JSON.parse(joined) as Record<string, unknown>;
}

describe('BrowserSignIn', () => {
  test('adds the sign-in routes to an HTTP API and a REST API, without an authorizer, behind one Node 22 arm64 function', () => {
    // GIVEN
    const { stack } = newStack();
    const http = new apigwv2.HttpApi(stack, 'Http');
    const rest = new apigw.RestApi(stack, 'Rest');
    rest.root.addMethod('GET');
    // WHEN
    const signIn = new BrowserSignIn(stack, 'SignIn', { issuer: ISSUER, clientId: 'keygate-web' });
    signIn.addToHttpApi(http);
    signIn.addToRestApi(rest);
    // THEN
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 10,
      Layers: [
        Match.stringLikeRegexp(
          'arn:aws:lambda:eu-west-1:\\d+:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\\d+',
        ),
      ],
    });
    const routeKeys = Object.values(t.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => (r.Properties as { RouteKey: string; AuthorizationType?: string }).RouteKey,
    );
    expect(routeKeys.sort()).toEqual([
      'GET /auth/callback',
      'GET /auth/login',
      'GET /auth/logout',
      'GET /auth/refresh',
      'POST /auth/logout',
      'POST /auth/refresh',
    ]);
    t.allResourcesProperties('AWS::ApiGatewayV2::Route', {
      AuthorizationType: 'NONE',
      AuthorizerId: Match.absent(),
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    const restMethods = Object.values(
      t.findResources('AWS::ApiGateway::Method', {
        Properties: { AuthorizationType: 'NONE', Integration: { Type: 'AWS_PROXY' } },
      }),
    );
    expect(restMethods.map((m) => (m.Properties as { HttpMethod: string }).HttpMethod).sort()).toEqual([
      'GET',
      'GET',
      'GET',
      'GET',
      'POST',
      'POST',
    ]);
    t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'callback' });
  });

  test('generates the cookie keyring in Secrets Manager: only the key id is in the template, never key material', () => {
    const { stack } = newStack();
    const signIn = new BrowserSignIn(stack, 'SignIn', { issuer: ISSUER, clientId: 'keygate-web' });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{"current":"k1"}',
        GenerateStringKey: 'k1',
        PasswordLength: 64,
        ExcludePunctuation: true,
      },
      SecretString: Match.absent(),
    });
    const config = configOf(t);
    expect(config).toEqual({
      version: 1,
      issuer: ISSUER,
      clientId: 'keygate-web',
      keysSecretId: expect.stringMatching(/^<\{'Ref':'SignInCookieKeys[0-9A-F]+'\}>$/),
    });
    expect(signIn.sessionSettings.cookieName).toBe('__Host-keygate_session');
    // The function may read the keyring, and only that secret.
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: { Ref: Match.stringLikeRegexp('SignInCookieKeys') },
          }),
        ]),
      },
    });
  });

  test('passes a confidential client secret by reference and grants read on it', () => {
    const { stack } = newStack();
    const clientSecret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'ClientSecret',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate-web-AbCdEf',
    );
    new BrowserSignIn(stack, 'SignIn', {
      issuer: ISSUER,
      clientId: 'keygate-bff',
      clientSecret,
      clientSecretField: 'secret',
      cookieName: '__Host-app-session',
      maxSessionDuration: Duration.hours(2),
      publicBaseUrl: 'https://api.example.com',
      postLogoutPath: '/bye',
      scopes: ['openid', 'profile'],
      allowedOrigins: ['https://portal.example.com'],
      csrfHeader: 'x-portal-csrf',
    });
    const t = Template.fromStack(stack);
    expect(configOf(t)).toMatchObject({
      clientId: 'keygate-bff',
      clientSecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate-web-AbCdEf',
      clientSecretField: 'secret',
      cookieName: '__Host-app-session',
      maxSessionSeconds: 7200,
      publicBaseUrl: 'https://api.example.com',
      postLogoutPath: '/bye',
      scopes: ['openid', 'profile'],
      allowedOrigins: ['https://portal.example.com'],
      csrfHeader: 'x-portal-csrf',
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Resource: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keygate-web-AbCdEf',
          }),
        ]),
      },
    });
    expect(JSON.stringify(t.toJSON())).not.toMatch(/"SecretString"/);
  });

  test('uses a given keyring secret instead of generating one', () => {
    const { stack } = newStack();
    const keys = new secretsmanager.Secret(stack, 'SharedKeys');
    const signIn = new BrowserSignIn(stack, 'SignIn', {
      issuer: ISSUER,
      clientId: 'keygate-web',
      keysSecret: keys,
    });
    expect(signIn.keysSecret).toBe(keys);
    Template.fromStack(stack).resourceCountIs('AWS::SecretsManager::Secret', 1);
  });

  const bad: [string, Partial<BrowserSignInProps>, string][] = [
    [
      'an http issuer',
      { issuer: 'http://sso.example.com/realms/ml' },
      "BrowserSignIn: issuer must be an https URL without a trailing slash, got 'http://sso.example.com/realms/ml'",
    ],
    [
      'an issuer with a trailing slash',
      { issuer: `${ISSUER}/` },
      `BrowserSignIn: issuer must be an https URL without a trailing slash, got '${ISSUER}/'`,
    ],
    ['an empty clientId', { clientId: '' }, 'BrowserSignIn: clientId must be 1-255 characters'],
    [
      'clientSecretField without clientSecret',
      { clientSecretField: 'x' },
      'BrowserSignIn: clientSecretField needs clientSecret',
    ],
    [
      'an allowed origin with a path',
      { allowedOrigins: ['https://portal.example.com/x'] },
      "BrowserSignIn: allowedOrigins must list https origins (scheme, host, optional port), got 'https://portal.example.com/x'",
    ],
    [
      'a CSRF header with a space',
      { csrfHeader: 'x csrf' },
      "BrowserSignIn: csrfHeader must be an HTTP header name, got 'x csrf'",
    ],
    [
      'a cookie name with a semicolon',
      { cookieName: '__Host-s;x' },
      "BrowserSignIn: cookieName must be 1-48 letters, digits, _ or -, got '__Host-s;x'",
    ],
    ['scopes without openid', { scopes: ['profile'] }, "BrowserSignIn: scopes must include 'openid'"],
    [
      'a scope with a space',
      { scopes: ['openid x'] },
      'BrowserSignIn: scopes must be scope tokens without spaces or quotes',
    ],
    [
      'a 1-minute session',
      { maxSessionDuration: Duration.minutes(1) },
      'BrowserSignIn: maxSessionDuration must be from 5 minutes to 30 days',
    ],
    [
      'a 31-day session',
      { maxSessionDuration: Duration.days(31) },
      'BrowserSignIn: maxSessionDuration must be from 5 minutes to 30 days',
    ],
    [
      'an http publicBaseUrl',
      { publicBaseUrl: 'http://api.example.com' },
      "BrowserSignIn: publicBaseUrl must be an https URL without a trailing slash, got 'http://api.example.com'",
    ],
    [
      'a protocol-relative postLogoutPath',
      { postLogoutPath: '//evil.example' },
      "BrowserSignIn: postLogoutPath must start with a single '/', got '//evil.example'",
    ],
  ];
  test.each(bad)('rejects %s, naming the prop', (_name, change, message) => {
    const { stack } = newStack();
    // Each case changes one prop: the error names that prop.
    expect(Object.keys(change)).toHaveLength(1);
    expectValidationError(
      () => new BrowserSignIn(stack, 'SignIn', { issuer: ISSUER, clientId: 'keygate-web', ...change }),
      Object.keys(change)[0],
      message,
    );
  });

  test("checks the configuration it writes against the function's schema (a bound the props checks leave to it)", () => {
    const { stack } = newStack();
    const clientSecret = new secretsmanager.Secret(stack, 'ClientSecret');
    expect(
      () =>
        new BrowserSignIn(stack, 'SignIn', {
          issuer: ISSUER,
          clientId: 'keygate-web',
          clientSecret,
          clientSecretField: 'f'.repeat(129),
        }),
    ).toThrow('BrowserSignIn: clientSecretField must be a non-empty string of at most 128 characters');
  });

  test('passes cdk-nag AwsSolutions with every acknowledgement justified, and deploys the prebuilt sign-in bundle', () => {
    const { app, stack } = newStack({ nag: true });
    const rest = new apigw.RestApi(stack, 'Rest', { deployOptions: { stageName: 'prod' } });
    const signIn = new BrowserSignIn(stack, 'SignIn', { issuer: ISSUER, clientId: 'keygate-web' });
    signIn.addToRestApi(rest);
    signIn.addToHttpApi(new apigwv2.HttpApi(stack, 'Http'));
    let violations: { rule: string; paths: string[] }[] = [];
    try {
      app.synth();
    } catch (e) {
      const report = path.join(app.outdir, 'validation-report.json');
      if (!fs.existsSync(report)) throw e;
      const parsed = JSON.parse(fs.readFileSync(report, 'utf8')) as {
        pluginReports: {
          violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
        }[];
      };
      violations = parsed.pluginReports.flatMap((p) =>
        p.violations.map((v) => ({
          rule: v.ruleName,
          paths: v.violatingConstructs.map((c) => c.constructPath),
        })),
      );
    }
    // The test APIs themselves are bare (no logging, no WAF); only this construct's resources are judged.
    const mine = violations.filter((v) =>
      v.paths.some((p) => p.includes('/SignIn/') || /\/Rest\/Default\/auth\//.test(p)),
    );
    expect(mine).toEqual([]);
    // The bare test APIs fail validation, but the assets are already staged into the output directory.
    const assets = fs.readdirSync(app.outdir).filter((d) => d.startsWith('asset.'));
    const bundles = assets.map((a) => path.join(app.outdir, a, 'index.js')).filter((f) => fs.existsSync(f));
    expect(bundles.length).toBe(1);
    const code = fs.readFileSync(bundles[0], 'utf8');
    expect(code).not.toMatch(/@aws-sdk\/client-secrets-manager/);
    expect(code).toContain('/secretsmanager/get');
  });
});
