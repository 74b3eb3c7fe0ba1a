import { Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { describe, expect, test } from 'vitest';
import { RouteAuth } from '../../../lib/api/route-auth';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import type { TokenBindingOptions } from '../../../lib/authorizer/token-binding';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { inlineBackend, newStack } from '../helpers';

function accessDeniedParameters(tokenBinding: TokenBindingOptions): Record<string, unknown> {
  const { stack } = newStack();
  const realm = TrustedIssuer.keycloakRealm({
    issuerUrl: 'https://sso.example.com/realms/ml',
    allowedAudiences: ['api'],
  });
  const authorizer = new KeygateAuthorizer(stack, 'Authorizer', { issuers: [realm], tokenBinding });
  new SecuredRestApi(stack, 'Api', {
    authorizer,
    routes: [
      { method: HttpMethod.GET, path: '/me', backend: inlineBackend(stack), auth: RouteAuth.keycloak() },
    ],
  });
  const denied = Template.fromStack(stack).findResources('AWS::ApiGateway::GatewayResponse', {
    Properties: { ResponseType: 'ACCESS_DENIED', StatusCode: '403' },
  });
  expect(Object.keys(denied)).toHaveLength(1);
  return (Object.values(denied)[0].Properties.ResponseParameters ?? {}) as Record<string, unknown>;
}

describe('DPoP challenge on a SecuredRestApi', () => {
  test('with DPoP, ACCESS_DENIED sends the authorizer challenge as WWW-Authenticate', () => {
    // GIVEN an authorizer that requires DPoP on a route, WHEN the API uses it
    const params = accessDeniedParameters({ dpop: { routes: ['GET /me'] } });
    // THEN the gateway response maps the challenge from the context key DPoP shares with step-up
    expect(params['gatewayresponse.header.WWW-Authenticate']).toBe('context.authorizer.stepUp');
  });

  test('with certificate binding alone, ACCESS_DENIED carries no WWW-Authenticate', () => {
    const params = accessDeniedParameters({ mtls: { routes: ['GET /me'] } });
    expect(params['gatewayresponse.header.WWW-Authenticate']).toBeUndefined();
  });
});
