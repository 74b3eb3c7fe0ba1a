/** The authorizer the Secured API tests put in front of their routes: one Keycloak realm, audience `api`. */
import type { Stack } from 'aws-cdk-lib';
import { KeygateAuthorizer } from '../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../lib/authorizer/trusted-issuer';

export const authorizerFor = (stack: Stack): KeygateAuthorizer =>
  new KeygateAuthorizer(stack, 'Authorizer', {
    issuers: [
      TrustedIssuer.keycloakRealm({
        issuerUrl: 'https://sso.example.com/realms/ml',
        allowedAudiences: ['api'],
      }),
    ],
  });
