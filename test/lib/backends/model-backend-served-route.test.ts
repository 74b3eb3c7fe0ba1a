import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { describe, expect, test } from 'vitest';
import { Requirement, RouteAuth } from '../../../lib/api/route-auth';
import { SecuredHttpApi } from '../../../lib/api/secured-http-api';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { Model } from '../../../lib/backends/model';
import { ModelBackend, type ModelBackendProps } from '../../../lib/backends/model-backend';
import { newStack } from '../helpers';
import { expectValidationError } from '../validation';

const OWN = Requirement.anyOf({ realmRoles: ['scorer'] });

/** A backend, optionally served on an HTTP API by `POST /models/{modelId}/invoke` with `routeRequirement`. */
function build(props: Partial<ModelBackendProps>, routeRequirement?: Requirement | 'none') {
  const { stack } = newStack();
  const backend = new ModelBackend(stack, 'Models', {
    models: [Model.demo('sentiment', 'sentiment')],
    ...props,
  });
  if (routeRequirement !== undefined) {
    const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
      issuers: [
        TrustedIssuer.keycloakRealm({
          issuerUrl: 'https://sso.example.com/realms/ml',
          allowedAudiences: ['api'],
        }),
      ],
    });
    new SecuredHttpApi(stack, 'Http', {
      authorizer,
      routes: [
        {
          method: HttpMethod.POST,
          path: '/models/{modelId}/invoke',
          backend: backend.function,
          auth: RouteAuth.keycloak(routeRequirement === 'none' ? undefined : routeRequirement),
        },
      ],
    });
  }
  return stack;
}

function invokeRequirementOf(stack: ReturnType<typeof build>): unknown {
  const fns = Template.fromStack(stack).findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { KEYGATE_MODELS_CONFIG: Match.anyValue() } } },
  });
  const [fn] = Object.values(fns) as {
    Properties: { Environment: { Variables: { KEYGATE_MODELS_CONFIG: string } } };
  }[];
  return (
    JSON.parse(fn.Properties.Environment.Variables.KEYGATE_MODELS_CONFIG) as { invokeRequirement: unknown }
  ).invokeRequirement;
}

describe('ModelBackend: the invoke requirement of the route it serves', () => {
  test('without invokeRequirement, the backend re-checks the requirement of the invoke route an API serves', () => {
    expect(invokeRequirementOf(build({}, OWN))).toEqual({ anyOf: { realmRoles: ['scorer'] } });
  });

  test('a route that asks for any valid token makes the backend ask for none either', () => {
    expect(invokeRequirementOf(build({}, 'none'))).toEqual({});
  });

  test('served by no API: any valid token, never roles of an app the user did not declare', () => {
    expect(invokeRequirementOf(build({}))).toEqual({});
  });

  test('an invokeRequirement equal to the route requirement is kept', () => {
    expect(invokeRequirementOf(build({ invokeRequirement: OWN }, OWN))).toEqual({
      anyOf: { realmRoles: ['scorer'] },
    });
  });

  test('an invokeRequirement other than the route requirement fails synth', () => {
    expectValidationError(
      () => build({ invokeRequirement: Requirement.anyOf({ realmRoles: ['admin'] }) }, OWN),
      'invokeRequirement',
      'ModelBackend: the route POST /models/{modelId}/invoke requires {"anyOf":{"realmRoles":["scorer"]}}, but the backend re-checks {"anyOf":{"realmRoles":["admin"]}}; give every invoke route the same requirement, or leave invokeRequirement out to take the route\'s',
    );
  });
});
