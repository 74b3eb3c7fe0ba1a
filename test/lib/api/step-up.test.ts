import { Duration } from 'aws-cdk-lib';
import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { describe, expect, test } from 'vitest';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { inlineBackend, newStack } from '../helpers';
import { expectValidationError } from '../validation';

function restApi(requirement: Requirement): Stack {
  const { stack } = newStack();
  const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
    issuers: [
      TrustedIssuer.keycloakRealm({
        issuerUrl: 'https://sso.example.com/realms/ml',
        allowedAudiences: ['api'],
        acrLoaMap: { silver: 1, gold: 2 },
      }),
    ],
  });
  new SecuredRestApi(stack, 'Api', {
    authorizer,
    routes: [
      { method: HttpMethod.GET, path: '/models', backend: inlineBackend(stack), auth: RouteAuth.keycloak() },
      {
        method: HttpMethod.POST,
        path: '/models/{modelId}/fine-tune',
        backend: inlineBackend(stack, 'Tune'),
        auth: RouteAuth.keycloak(requirement),
      },
    ],
  });
  return stack;
}

describe('step-up routes', () => {
  test('a REST API with a step-up route sends the authorizer challenge as WWW-Authenticate on ACCESS_DENIED', () => {
    // GIVEN a route that needs LoA 2 within 15 minutes
    const stack = restApi(
      Requirement.allOf({ realmRoles: ['model-user'] }).withStepUp({
        minLoa: 2,
        maxAge: Duration.minutes(15),
      }),
    );
    // THEN the ACCESS_DENIED gateway response maps the challenge from the authorizer context, status 403
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      StatusCode: '403',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.WWW-Authenticate': 'context.authorizer.stepUp',
      }),
    });
  });

  test('without a step-up route ACCESS_DENIED carries no WWW-Authenticate', () => {
    const stack = restApi(Requirement.allOf({ realmRoles: ['model-user'] }));
    const denied = Template.fromStack(stack).findResources('AWS::ApiGateway::GatewayResponse', {
      Properties: { ResponseType: 'ACCESS_DENIED' },
    });
    expect(Object.keys(denied)).toHaveLength(1);
    const params = Object.values(denied)[0].Properties.ResponseParameters ?? {};
    expect(params['gatewayresponse.header.WWW-Authenticate']).toBeUndefined();
  });

  test('withStepUp validates at once, naming the field', () => {
    expectValidationError(
      () => Requirement.authenticated().withStepUp({}),
      'stepUp',
      'Requirement.withStepUp must set minLoa, amr or maxAgeSeconds',
    );
    expectValidationError(
      () => Requirement.authenticated().withStepUp({ maxAge: Duration.days(2) }),
      'maxAgeSeconds',
      'Requirement.withStepUp.maxAgeSeconds must be an integer from 1 to 86400',
    );
  });

  test('a level the realm does not map fails at synth, naming the route and the fix', () => {
    expect(() => restApi(Requirement.authenticated().withStepUp({ minLoa: 3 }))).toThrow(
      /requirement\.stepUp\.minLoa: issuer https:\/\/sso\.example\.com\/realms\/ml maps no acr to level 3 or above; set its acrLoaMap/,
    );
  });
});
