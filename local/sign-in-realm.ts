/**
 * The stage's realm for the built-in issuer (realm as code: its test users, direct access grants), with
 * browser sign-in through the local gateways allowed: each gateway's `/auth/callback` a redirect URI of
 * the people client and its root a post-logout redirect URI (Keycloak's `post.logout.redirect.uris`).
 * The stage's `browserSignIn.publicUrls` cannot name them: those are https, the local gateways http.
 */
import type { StageConfig } from '../common/app-config';
import { SIGN_IN_DEFAULTS } from '../common/sign-in-config';
import type { RealmRepresentation } from './issuer';
import { buildRealm } from '../realm/realm-definition';

export function localStageRealm(
  stage: StageConfig,
  options: {
    readonly passwords?: Readonly<Record<string, string>>;
    /** Base URLs of the local gateways serving the sign-in routes. @default - none (no sign-in) */
    readonly signInUrls?: readonly string[];
  } = {},
): RealmRepresentation {
  const urls = options.signInUrls ?? [];
  const realmStage: StageConfig =
    urls.length === 0
      ? stage
      : {
          ...stage,
          keycloak: {
            ...stage.keycloak,
            redirectUris: [
              ...(stage.keycloak.redirectUris ?? []),
              ...urls.map((u) => `${u}${SIGN_IN_DEFAULTS.paths.callback}`),
            ],
            webOrigins: [...(stage.keycloak.webOrigins ?? []), ...urls],
          },
        };
  const realm = buildRealm(realmStage, {
    includeTestUsers: true,
    directAccessGrants: true,
    ...(options.passwords ? { testUserPasswords: options.passwords } : {}),
  });
  if (urls.length > 0) {
    const people = realm.clients?.find((c) => c.clientId === stage.keycloak.peopleClientId);
    if (people) {
      people.attributes = {
        ...people.attributes,
        'post.logout.redirect.uris': ['+', ...urls.map((u) => `${u}/`)].join('##'),
      };
    }
  }
  return realm;
}
