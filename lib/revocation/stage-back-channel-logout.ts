import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../../common/app-config';
import { revocationClientIds } from '../../common/back-channel-logout';
import { BackChannelLogout } from './back-channel-logout';

/** The stage's back-channel logout (its `revocation` block), or undefined when the stage has none. */
export function stageBackChannelLogout(
  scope: Construct,
  stage: StageConfig,
  logRetention: RetentionDays,
): BackChannelLogout | undefined {
  const r = stage.revocation;
  if (r === undefined) return undefined;
  return new BackChannelLogout(scope, 'BackChannelLogout', {
    issuers: [
      {
        issuer: stage.keycloak.issuer,
        clientIds: revocationClientIds(stage),
        ...(stage.keycloak.jwksUri !== undefined ? { jwksUri: stage.keycloak.jwksUri } : {}),
      },
    ],
    ...(r.boundSeconds !== undefined ? { bound: Duration.seconds(r.boundSeconds) } : {}),
    ...(r.retentionSeconds !== undefined ? { retention: Duration.seconds(r.retentionSeconds) } : {}),
    logRetention,
  });
}
