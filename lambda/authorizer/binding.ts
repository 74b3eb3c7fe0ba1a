/**
 * Entry point of the authorizer's token-binding module (`binding.js` beside `index.js` in the deployed
 * bundle), which index.ts loads only when the configuration has `tokenBinding`: DPoP proofs (with jose,
 * itself loaded on the first proof from `dpop-jose.js`), certificate-bound tokens and the DPoP replay
 * store. An authorizer without token binding never reads, parses or compiles this code at cold start; its
 * pipeline keeps only the synchronous refusal of sender-constrained tokens (handler.ts refuseBoundToken).
 */
import type { AuthorizerConfig } from '../../common/authorizer-config';
import type { BindingCheck } from './token-binding';
import { createBindingCheck } from './token-binding';
import type { DynamoDbSdk } from './replay-store';

export { validateTokenBinding } from '../../common/token-binding';
export { createBindingCheck } from './token-binding';

/**
 * The binding check with the DynamoDB replay store the config names. The runtime's SDK is `require`d on
 * the first proof (external to the bundle, found through the runtime's NODE_PATH).
 */
export function productionBindingCheck(config: AuthorizerConfig): BindingCheck {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loadDynamoDb = () => require('@aws-sdk/client-dynamodb') as DynamoDbSdk;
  return createBindingCheck(config, { loadDynamoDb });
}
