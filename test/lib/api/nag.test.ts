import { Duration, Validations } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, test } from 'vitest';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredHttpApi } from '../../../lib/api/secured-http-api';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { AuthorizerAlarms } from '../../../lib/monitoring/authorizer-alarms';
import { inlineBackend, newStack, synthWithNag } from '../helpers';

describe('Keygate constructs under cdk-nag', () => {
  test('add no unacknowledged AwsSolutions finding to a consumer stack', () => {
    // GIVEN every construct with most options on, in a stack of its own
    const { app, stack } = newStack({ nag: true });
    const backend = inlineBackend(stack);
    // The test's own backend is not Keygate's: its findings are the consumer's business.
    Validations.of(backend).acknowledge(
      { id: 'AwsSolutions-L1', reason: 'test backend' },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'test backend',
      },
    );
    const pool = new cognito.UserPool(stack, 'Pool', {
      passwordPolicy: {
        minLength: 12,
        requireSymbols: true,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
    });
    const realm = TrustedIssuer.keycloakRealm({
      issuerUrl: 'https://sso.example.com/realms/ml',
      allowedClients: ['web'],
    });
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
      issuers: [realm, TrustedIssuer.cognitoUserPool(pool, [pool.addClient('Client')])],
      browserSessions: { keysSecret: new secretsmanager.Secret(stack, 'Keys') },
      clockSkew: Duration.seconds(10),
    });
    Validations.of(stack.node.findChild('Keys')).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'test keyring; BrowserSignIn owns rotation of the real one',
    });
    const routes = [
      {
        method: HttpMethod.GET,
        path: '/me',
        backend,
        auth: RouteAuth.keycloak(Requirement.authenticated().forIssuers(realm)),
        browser: true,
      },
      {
        method: HttpMethod.POST,
        path: '/models/{modelId}/invoke',
        backend,
        auth: RouteAuth.keycloak(
          Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] }).forIssuers(realm),
        ),
      },
      { method: HttpMethod.GET, path: '/machine/files/{path+}', backend, auth: RouteAuth.iam() },
    ];
    const http = new SecuredHttpApi(stack, 'Http', {
      authorizer,
      routes,
      cors: { allowOrigins: ['https://app.example.com'] },
    });
    const rest = new SecuredRestApi(stack, 'Rest', {
      authorizer,
      routes: [
        ...routes,
        { method: HttpMethod.GET, path: '/profile', backend, auth: RouteAuth.cognitoUserPool(pool) },
      ],
      cors: { allowOrigins: ['https://a.example.com', 'https://b.example.com'] },
    });
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountPrincipal('111122223333') });
    http.grantInvoke(caller, HttpMethod.GET, '/machine/files/{path+}');
    rest.grantInvoke(caller, HttpMethod.GET, '/machine/files/{path+}');
    rest.allowCrossAccountInvoke(
      new iam.AccountPrincipal('444455556666'),
      HttpMethod.GET,
      '/machine/files/{path+}',
    );
    new AuthorizerAlarms(stack, 'Alarms', {
      authorizer,
      topic: new sns.Topic(stack, 'Topic', { enforceSSL: true }),
    });
    // WHEN
    const violations = synthWithNag(app);
    // THEN
    expect(violations).toEqual([]);
  });
});
