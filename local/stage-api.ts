/**
 * One API of a served stage (serve-stage.ts) as its callers use it (callers.ts): the built-in issuer that
 * signs its tokens, the stage's clients, the API's gateway (its URL and counters), the region and the IAM
 * test callers. The tests and the gateway benchmark call the served app through it.
 */
import type { StageConfig } from '../common/app-config';
import type { LocalIamCredentials } from './assembly/serve-assembly';
import type { CallerStack } from './callers';
import type { LocalGateway } from './gateway/local-gateway';
import type { LocalIssuer } from './issuer';
import type { ServedStage } from './serve-stage';

export interface StageApi extends CallerStack {
  readonly issuer: LocalIssuer;
  readonly stage: StageConfig;
  readonly gateway: LocalGateway;
  readonly region: string;
  readonly iam: LocalIamCredentials;
}

/** The `kind` API of `served`; throws when the stage serves none, or trusts a real realm (no built-in issuer). */
export function stageApi(served: ServedStage, kind: 'http' | 'rest'): StageApi {
  const { issuer } = served;
  if (!issuer)
    throw new Error(`stage ${served.name} trusts a real Keycloak realm here: it has no built-in issuer`);
  return {
    issuer,
    stage: served.stage,
    gateway: served.api(kind).gateway,
    region: served.stack.region,
    iam: served.iam,
  };
}
