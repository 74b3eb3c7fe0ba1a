/** What SecuredHttpApi and SecuredRestApi refuse alike, each in its own name. */
import type { Stack } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, test } from 'vitest';
import { RouteAuth } from '../../../lib/api/route-auth';
import type { SecuredHttpApiProps } from '../../../lib/api/secured-http-api';
import { SecuredHttpApi } from '../../../lib/api/secured-http-api';
import { SecuredRestApi } from '../../../lib/api/secured-rest-api';
import { authorizerFor } from '../../support/keycloak-authorizer';
import { inlineBackend, newStack } from '../helpers';
import { expectValidationError } from '../validation';

/** The props both APIs take alike: the authorizer and the routes. */
type SharedProps = Pick<SecuredHttpApiProps, 'authorizer' | 'routes'>;

describe.each<[string, (stack: Stack, props: SharedProps) => SecuredHttpApi | SecuredRestApi]>([
  ['SecuredHttpApi', (stack, props) => new SecuredHttpApi(stack, 'Api', props)],
  ['SecuredRestApi', (stack, props) => new SecuredRestApi(stack, 'Api', props)],
])('%s', (name, newApi) => {
  test('rejects a grant on a Keycloak route', () => {
    // GIVEN an API with a Keycloak route and an IAM route
    const { stack } = newStack();
    const backend = inlineBackend(stack);
    const api = newApi(stack, {
      authorizer: authorizerFor(stack),
      routes: [
        { method: HttpMethod.GET, path: '/models', backend, auth: RouteAuth.keycloak() },
        { method: HttpMethod.GET, path: '/machine/models', backend, auth: RouteAuth.iam() },
      ],
    });
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    // WHEN the Keycloak route is granted THEN the grant is refused, naming the method
    expectValidationError(
      () => api.grantInvoke(role, HttpMethod.GET, '/models'),
      'method',
      `${name}.grantInvoke: GET /models is a keycloak route; only iam routes can be granted`,
    );
  });

  test('rejects a Keycloak route without an authorizer', () => {
    const { stack } = newStack();
    expectValidationError(
      () =>
        newApi(stack, {
          routes: [
            {
              method: HttpMethod.GET,
              path: '/me',
              backend: inlineBackend(stack),
              auth: RouteAuth.keycloak(),
            },
          ],
        }),
      'auth',
      `${name}: routes[0]: a Keycloak route needs the authorizer prop`,
    );
  });
});
