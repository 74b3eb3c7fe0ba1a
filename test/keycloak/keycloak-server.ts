/**
 * The Keycloak server of the real-Keycloak suite, as the tests see it: started once by the global setup
 * (scripts/keycloak.ts), or the user's own when `KEYCLOAK_URL` is set. Import from any test under
 * test/keycloak/ (or a suite of its own with the same global setup):
 *
 *   const kc = keycloakServer();             // { url, admin, local, logFile }
 *   const admin = await adminClient();       // @keycloak/keycloak-admin-client, signed in to master
 */
import { inject } from 'vitest';
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type { StageConfig } from '../../common/app-config';
import { connectAdmin } from '../../realm/apply-realm-cli';
import { authorizerConfigFor } from './support';
import type { RealmRepresentation } from '../../realm/keycloak-types';
import type { Pki } from '../support/test-pki';

export interface KeycloakUnderTest {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40049`. */
  readonly url: string;
  readonly admin: { readonly username: string; readonly password: string };
  /**
   * The same server over HTTPS with client-certificate requests (client auth "request"), when the suite
   * started it: `ca` signed its server certificate and is its client truststore, so tests trust the
   * server with `ca.cert` and sign client certificates with it (test/support/test-pki.ts).
   */
  readonly mtls?: { readonly httpsUrl: string; readonly ca: Pki };
  /** True when the suite started this server itself (then its log is readable). */
  readonly local: boolean;
  /** The server log of a local server. */
  readonly logFile?: string;
  /** Realms the global setup imported at start (`--import-realm`): file name → realm representation. */
  readonly imported: Readonly<Record<string, RealmRepresentation>>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    keycloak: KeycloakUnderTest;
    /** KEYGATE_CONFIG as `cdk synth` writes it for support.ts's TEMPLATE_STAGE (see authorizerConfigFor). */
    synthesizedAuthorizerConfig: string;
  }
}

export function keycloakServer(): KeycloakUnderTest {
  return inject('keycloak');
}

/** The authorizer configuration `cdk synth` writes for the stage (a stage made by testStage with a jwksUri). */
export function synthesizedConfigFor(stage: StageConfig): string {
  return authorizerConfigFor(inject('synthesizedAuthorizerConfig'), stage);
}

/** An admin client signed in to the master realm of the server under test. */
export function adminClient(): Promise<KeycloakAdminClient> {
  const kc = keycloakServer();
  return connectAdmin({ url: kc.url, username: kc.admin.username, password: kc.admin.password });
}
