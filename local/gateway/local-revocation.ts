/**
 * Back-channel logout in the local stack, for a stage with a `revocation` block: the list in memory, the
 * endpoint on the gateway (POST /auth/backchannel-logout, no authorizer, served by the real logout core),
 * the realm registering the gateway's endpoint on its clients, and the authorizer checking the list with
 * the stage's bound. A real Keycloak in development mode posts its logout tokens to the gateway over http
 * on the loopback address.
 */
import { SimpleFetcher } from 'aws-jwt-verify/https';
import type { StageConfig } from '../../common/app-config';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { DEFAULTS } from '../../common/authorizer-config';
import type { BackChannelLogoutConfig } from '../../common/back-channel-logout';
import { REVOCATION_DEFAULTS } from '../../common/revocation';
import { BACKCHANNEL_LOGOUT_PATH, revocationClientIds } from '../../common/back-channel-logout';
import { createLogoutHandler } from '../../lambda/back-channel-logout/handler';
import { createLogoutTokenVerifier } from '../../lambda/back-channel-logout/logout-token';
import { toLogoutRequest } from '../../lambda/back-channel-logout/proxy-event';
import type { ProxyEvent } from '../../lambda/back-channel-logout/proxy-event';
import { MemoryRevocationStore } from '../../lambda/revocation/revocation-store';
import type { LambdaFunction, PublicRoute } from './local-gateway';
import { LoopbackHttpFetcher } from './loopback-fetcher';

export interface LocalRevocation {
  /** The list, in memory for the life of the stack. */
  readonly store: MemoryRevocationStore;
  readonly boundSeconds: number;
  /** The gateway's result cache TTL: at most the bound. */
  cacheTtl(ttlSeconds: number): number;
  /** The stage as the realm definition sees it: the gateway's endpoint registered on the clients. */
  realmStage(stage: StageConfig, gatewayUrl: string): StageConfig;
  /** The authorizer configuration with its `revocation` block. */
  authorizerConfig(config: AuthorizerConfig): AuthorizerConfig;
  /** The endpoint's route; its function is bound once the issuer is known (`bind`). */
  readonly route: PublicRoute;
  bind(issuer: { readonly issuer: string; readonly jwks: string; readonly ca?: string }): void;
}

export function localRevocation(stage: StageConfig): LocalRevocation | undefined {
  const r = stage.revocation;
  if (r === undefined) return undefined;
  const boundSeconds = r.boundSeconds ?? REVOCATION_DEFAULTS.boundSeconds;
  const store = new MemoryRevocationStore();
  let handle: LambdaFunction | undefined;
  return {
    store,
    boundSeconds,
    cacheTtl: (ttl) => Math.min(ttl, boundSeconds),
    realmStage: (s, gatewayUrl) => ({ ...s, revocation: { ...s.revocation, publicUrl: gatewayUrl } }),
    authorizerConfig: (config) => ({ ...config, revocation: { boundSeconds } }),
    route: {
      method: 'POST',
      path: BACKCHANNEL_LOGOUT_PATH,
      integration: (event) =>
        handle ? handle(event) : Promise.reject(new Error('the local stack is still starting')),
    },
    bind(issuer) {
      const config: BackChannelLogoutConfig = {
        issuers: [
          {
            issuer: issuer.issuer,
            jwksUri: issuer.jwks,
            audiences: revocationClientIds(stage),
            ...(issuer.issuer.startsWith('http:') ? { insecureHttpIssuerForDevelopmentOnly: true } : {}),
          },
        ],
        ...(r.retentionSeconds !== undefined ? { retentionSeconds: r.retentionSeconds } : {}),
      };
      const core = createLogoutHandler({
        config,
        store,
        // Keys over https as deployed, or over http from a loopback address (a development Keycloak).
        verifier: createLogoutTokenVerifier(config, {
          fetcher: new LoopbackHttpFetcher(
            new SimpleFetcher({ defaultRequestOptions: issuer.ca ? { ca: issuer.ca } : {} }),
            DEFAULTS.jwksTimeoutMs,
          ),
        }),
        log: () => {},
      });
      handle = (event) => core(toLogoutRequest((event ?? {}) as ProxyEvent));
    },
  };
}
