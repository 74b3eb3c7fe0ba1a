/**
 * AWS glue for the back-channel logout function: read the configuration once per container, convert the
 * API Gateway proxy event (REST, or HTTP API payload 1.0 / 2.0) into a LogoutRequest, answer in the proxy
 * response shape. The route has no authorizer: the logout token's signature is the authentication.
 */
import type * as DynamoDbSdk from '@aws-sdk/client-dynamodb';
import {
  BACKCHANNEL_LOGOUT_CONFIG_ENV,
  validateBackChannelLogoutConfig,
} from '../../common/back-channel-logout';
import { DynamoDbRevocationStore } from '../revocation/dynamodb-revocation-store';
import type { LogoutHandler, LogoutResponse } from './handler';
import type { ProxyEvent } from './proxy-event';
import { toLogoutRequest } from './proxy-event';
import { createLogoutHandler } from './handler';
import { createLogoutTokenVerifier } from './logout-token';

function build(): LogoutHandler | LogoutResponse {
  let input: unknown;
  try {
    input = JSON.parse(process.env[BACKCHANNEL_LOGOUT_CONFIG_ENV] ?? '');
  } catch {
    input = undefined;
  }
  const loaded = validateBackChannelLogoutConfig(input);
  if (!loaded.ok || loaded.config.tableName === undefined) {
    const errors = loaded.ok ? ['tableName is required'] : loaded.errors;
    // Once per container, at cold start; every request is then refused.
    process.stderr.write(`${JSON.stringify({ logout: { configInvalid: errors } })}\n`);
    return { statusCode: 400, headers: { 'Cache-Control': 'no-store' }, body: '{"error":"invalid_request"}' };
  }
  // The runtime's SDK (external to the bundle), loaded only once the configuration is valid, as the
  // authorizer's revocation store does: an unconfigured function loads with Node.js alone.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof DynamoDbSdk;
  return createLogoutHandler({
    config: loaded.config,
    verifier: createLogoutTokenVerifier(loaded.config),
    store: new DynamoDbRevocationStore(new DynamoDBClient({}), loaded.config.tableName),
  });
}

const ready = build();

export async function handler(event: ProxyEvent): Promise<LogoutResponse> {
  if (typeof ready !== 'function') return ready;
  return ready(toLogoutRequest(event ?? {}));
}
