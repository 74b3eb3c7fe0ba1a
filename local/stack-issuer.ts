/**
 * The issuer a locally served app trusts, as its callers and the printed commands see it (the built-in
 * issuer, or a real Keycloak realm), and the options that name a real realm: what `npm start`, the demo
 * and the callers (callers.ts, ready-commands.ts, keycloak-realm.ts) share, whichever way the app is served.
 */
import type { LocalIssuerUrls, RealmRepresentation } from './issuer';

/** Test-user passwords and service-account secrets of a realm, for the printed commands and the callers. */
export interface RealmSecrets {
  readonly passwords: Readonly<Record<string, string>>;
  readonly clientSecrets: Readonly<Record<string, string>>;
}

export interface KeycloakRealmOptions {
  /** The realm's URL, which is its `iss`: e.g. `http://127.0.0.1:8080/realms/keygate`. */
  readonly realmUrl: string;
  /** PEM certificate(s) to trust for an https Keycloak with a private CA. @default - the system's CAs */
  readonly ca?: string;
  /**
   * Brings the realm in line with the definition built for this run (the stage's realm with its test
   * users, direct access grants and, with sign-in, the gateway's callback and post-logout URLs) and
   * returns the passwords and secrets to use. @default - the realm is used as it is
   */
  readonly provision?: (realm: RealmRepresentation) => Promise<RealmSecrets>;
  /** Passwords and secrets known for a realm used as it is. @default - none known */
  readonly secrets?: RealmSecrets;
}

/** The issuer the app trusts, as its callers see it: the built-in issuer, or a real Keycloak realm. */
export interface StackIssuer {
  readonly issuer: string;
  readonly urls: LocalIssuerUrls;
  /** PEM certificate to trust for the issuer's https endpoints (undefined: the system's CAs, or http). */
  readonly ca?: string;
  readonly passwords: Readonly<Record<string, string>>;
  readonly clientSecrets: Readonly<Record<string, string>>;
  close(): Promise<void>;
}
