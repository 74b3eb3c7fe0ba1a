/**
 * Keygate's construct library: the public surface. Constructs, their props and enum-like classes only;
 * nothing from the Lambda code (it ships bundled) and nothing from the app (bin/, lib/app/).
 */
export { KeygateAuthorizer, AuthorizerResponseMode } from './authorizer/keygate-authorizer';
export type {
  KeygateAuthorizerProps,
  AuthorizerRouteOptions,
  BrowserSessionOptions,
} from './authorizer/keygate-authorizer';
export { TrustedIssuer, SigningAlgorithm } from './authorizer/trusted-issuer';
export type {
  TokenBindingOptions,
  DpopBindingOptions,
  BindingScopeOptions,
} from './authorizer/token-binding';
export type { CognitoUserPoolIssuerOptions, KeycloakRealmIssuerProps } from './authorizer/trusted-issuer';

export { Requirement, RouteAuth } from './api/route-auth';
export type { EntitlementSet, RequirementProps, StepUpProps } from './api/route-auth';
export type { SecuredRouteOptions, SecuredApiCorsOptions, SecuredApiThrottle } from './api/route-table';
export { SecuredHttpApi } from './api/secured-http-api';
export type { SecuredHttpApiProps } from './api/secured-http-api';
export { SecuredRestApi } from './api/secured-rest-api';
export { MutualTlsDomain } from './api/mutual-tls-domain';
export type { MutualTlsDomainProps } from './api/mutual-tls-domain';
export type { SecuredRestApiProps } from './api/secured-rest-api';
export type {
  UsageTiersOptions,
  UsageTierOptions,
  UsageTierQuota,
  UsageTierThrottle,
  UsageTierAssignment,
} from './api/usage-plans';

export { AuthorizerAlarms } from './monitoring/authorizer-alarms';
export type { AuthorizerAlarmsProps } from './monitoring/authorizer-alarms';
export { KeygateDashboard } from './monitoring/keygate-dashboard';
export type { KeygateDashboardProps } from './monitoring/keygate-dashboard';

export { KeycloakFederatedUserPool } from './federation/keycloak-federated-user-pool';
export type { KeycloakFederatedUserPoolProps } from './federation/keycloak-federated-user-pool';

export { Model } from './backends/model';
export type { ModelSpec } from './backends/model';
export { ModelBackend } from './backends/model-backend';
export type { ModelBackendProps, MachineCaller } from './backends/model-backend';

export { BrowserSignIn } from './sign-in/browser-sign-in';
export type { BrowserSignInProps, BrowserSessionSettings } from './sign-in/browser-sign-in';

export { BackChannelLogout } from './revocation/back-channel-logout';
export type { BackChannelLogoutProps, BackChannelLogoutIssuer } from './revocation/back-channel-logout';
