export { startLocalIssuer } from './start-local-issuer';
export type { LocalIssuer, LocalIssuerOptions, LocalIssuerUrls, MintOptions } from './start-local-issuer';
export {
  readRealm,
  realmFromStageKeycloak,
  realmNameOf,
  stableId,
  SERVICE_ACCOUNT_USER_PREFIX,
} from './realm-model';
export type { LocalClient, LocalRealm, LocalUser, RealmRepresentation } from './realm-model';
export type { AudienceShape, ClientIdClaim } from './keycloak-claims';
export { loopbackCertificate } from './tls';
