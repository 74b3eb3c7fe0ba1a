/**
 * The Keycloak representation types the realm definition is written in, taken from
 * `@keycloak/keycloak-admin-client` (type-only: nothing of the ESM client is loaded by importing this).
 */
export type { default as RealmRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/realmRepresentation.js';
export type { default as ClientRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/clientRepresentation.js';
export type { default as RoleRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/roleRepresentation.js';
export type { default as UserRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/userRepresentation.js';
export type { default as GroupRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/groupRepresentation.js';
export type { default as ProtocolMapperRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/protocolMapperRepresentation.js';
export type { default as CredentialRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/credentialRepresentation.js';
export type { default as IdentityProviderRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/identityProviderRepresentation.js';
export type { default as IdentityProviderMapperRepresentation } from '@keycloak/keycloak-admin-client/lib/defs/identityProviderMapperRepresentation.js';
