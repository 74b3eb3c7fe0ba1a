import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, test } from 'vitest';
import { SIGN_IN_ROUTES } from '../../../common/sign-in-routes';
import { BrowserSignIn, KeygateAuthorizer, RouteAuth, SecuredRestApi, TrustedIssuer } from '../../../lib';

const ISSUER = 'https://sso.example.com/realms/ml';

describe('BrowserSignIn wired into a secured REST API', () => {
  test('sign-in routes open, the authorizer reads sessions uncached, and ACCESS_DENIED carries the sign-in URL', () => {
    // GIVEN
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-signin-wiring-')) });
    const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
    const backend = new lambda.Function(stack, 'Backend', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
    });
    // WHEN
    const signIn = new BrowserSignIn(stack, 'SignIn', { issuer: ISSUER, clientId: 'keygate-web' });
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
      issuers: [TrustedIssuer.keycloakRealm({ issuerUrl: ISSUER, allowedAudiences: ['keygate-api'] })],
      browserSessions: { keysSecret: signIn.keysSecret, cookieName: signIn.sessionSettings.cookieName },
    });
    const api = new SecuredRestApi(stack, 'Api', {
      authorizer,
      routes: [{ method: HttpMethod.GET, path: '/me', backend, auth: RouteAuth.keycloak(), browser: true }],
    });
    signIn.addToRestApi(api.restApi);
    // THEN
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      AuthorizerResultTtlInSeconds: 0,
      // No identity sources: the cookie changes on every refresh and a missing source would 401 first.
      IdentitySource: '',
    });
    t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp('"signIn":"\\$context\\.authorizer\\.signIn"'),
      },
    });
    // The protected page uses the authorizer; the sign-in routes do not, and nothing else is open.
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method')).map(
      (m) => m.Properties as { HttpMethod: string; AuthorizationType: string },
    );
    expect(methods.filter((m) => m.AuthorizationType === 'CUSTOM')).toHaveLength(1);
    expect(
      methods
        .filter((m) => m.AuthorizationType === 'NONE')
        .map((m) => m.HttpMethod)
        .sort(),
    ).toEqual(SIGN_IN_ROUTES.flatMap((r) => r.methods).sort());
    // The authorizer's configuration names the keyring and the browser route; it may read that secret.
    const fns = Object.values(t.findResources('AWS::Lambda::Function')).map((f) =>
      JSON.stringify(f.Properties),
    );
    const authorizerFn = fns.find((f) => f.includes('KEYGATE_CONFIG'));
    expect(authorizerFn).toBeDefined();
    expect(authorizerFn).toContain('AWS-Parameters-and-Secrets-Lambda-Extension-Arm64');
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('secretsmanager:GetSecretValue'),
    );
    expect(policies).toHaveLength(2); // the sign-in function and the authorizer, both on the keyring only
    for (const p of policies) expect(JSON.stringify(p)).toMatch(/"Ref":"SignInCookieKeys[0-9A-F]+"/);
  });
});
