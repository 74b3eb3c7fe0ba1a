/**
 * A stage of the app served from its synthesized assembly (local/serve-stage.ts) for a test: with the
 * Lambda bundles test/global-setup.ts built for the run, and with browser sign-in as `npm start --
 * --sign-in` serves it (local/start.ts): the gateways' ports fixed first, so the realm lists their
 * `/auth/callback` URLs before they listen.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { StageConfig } from '../../common/app-config';
import { REVOCATION_TABLE } from '../../common/revocation';
import type { CallerStack } from '../../local/callers';
import { freeConsecutivePorts } from '../../local/free-ports';
import type { LocalIssuer } from '../../local/issuer';
import { serveStage } from '../../local/serve-stage';
import type { ServeStageOptions, ServedStage } from '../../local/serve-stage';

/** `stage` served (every API it deploys, or `options.apiKinds`). */
export function serveTestStage(
  stage: StageConfig,
  options: Partial<ServeStageOptions> = {},
): Promise<ServedStage> {
  return serveStage({ stage, buildLambdas: false, ...options });
}

/** `stage` served with browser sign-in (every API it deploys, or `options.apiKinds`). */
export async function serveSignInStage(
  stage: StageConfig,
  options: Partial<ServeStageOptions> = {},
): Promise<ServedStage> {
  const count = options.apiKinds?.length ?? 2;
  const gatewayPort = await freeConsecutivePorts(count);
  const signInUrls = Array.from({ length: count }, (_, i) => `http://127.0.0.1:${gatewayPort + i}`);
  return serveTestStage(stage, { signIn: true, signInUrls, gatewayPort, ...options });
}

/** The served API of `kind` as local/callers.ts calls it, with the built-in issuer's test users. */
export function callerStack(
  served: ServedStage,
  kind: 'http' | 'rest',
): CallerStack & { readonly issuer: LocalIssuer } {
  if (!served.issuer) throw new Error('the stage is served with a real realm, not the built-in issuer');
  return {
    issuer: served.issuer,
    stage: served.stage,
    gateway: { url: served.api(kind).url },
    region: served.stack.region,
  };
}

/** The revocation table's keys, sorted, read from the served stack's DynamoDB stand-in as any client would. */
export async function revocationTableKeys(served: ServedStage): Promise<string[]> {
  const table = served.tables.tables.find((t) => t.path.includes('BackChannelLogout'));
  if (!table) throw new Error('the served stack has no back-channel logout table');
  const client = new DynamoDBClient({
    endpoint: served.tables.endpoint,
    region: served.tables.region,
    credentials: served.tables.credentials,
  });
  try {
    const out = await client.send(new ScanCommand({ TableName: table.tableName }));
    return (out.Items ?? []).map((i) => i[REVOCATION_TABLE.partitionKey].S!).sort();
  } finally {
    client.destroy();
  }
}
