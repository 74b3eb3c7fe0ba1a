/**
 * The back-channel logout function's config (`KEYGATE_BACKCHANNEL_LOGOUT_CONFIG`) as it runs locally: each
 * deployed realm it accepts logout tokens from replaced by the realm that stands in for it (local-trust.ts),
 * so a logout token of the built-in issuer, or of the real Keycloak the gateway trusts, verifies against
 * that realm's keys. A real realm over http on the loopback address is marked as the development opt-in
 * the function requires for it, with its keys through the https front (the function fetches over https).
 */
import type { BackChannelLogoutConfig, LogoutIssuerConfig } from '../../common/back-channel-logout';
import type { LocalRealm } from './local-trust';

/** The config with local realms; a config that is not JSON is left as it is (the function reports it). */
export function localLogoutConfig(raw: string, realms: readonly LocalRealm[]): string {
  let config: BackChannelLogoutConfig;
  try {
    config = JSON.parse(raw) as BackChannelLogoutConfig;
  } catch {
    return raw;
  }
  if (typeof config !== 'object' || config === null || !Array.isArray(config.issuers)) return raw;
  return JSON.stringify({ ...config, issuers: config.issuers.map((i) => localIssuer(i, realms)) });
}

function localIssuer(issuer: LogoutIssuerConfig, realms: readonly LocalRealm[]): LogoutIssuerConfig {
  const realm = realms.find((r) => r.deployed === issuer?.issuer);
  if (!realm) return issuer;
  // The deployed JWKS URI names the deployed realm: the local one's keys are at its default place.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { jwksUri, insecureHttpIssuerForDevelopmentOnly, ...rest } = issuer;
  return {
    ...rest,
    issuer: realm.url,
    ...(realm.front ? { jwksUri: realm.front.jwksUri } : {}),
    ...(realm.url.startsWith('http:') ? { insecureHttpIssuerForDevelopmentOnly: true } : {}),
  };
}
