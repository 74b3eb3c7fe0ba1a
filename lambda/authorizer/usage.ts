/**
 * Entry point of the authorizer's usage-key module (`usage.js` beside `index.js` in the deployed bundle),
 * loaded only when the configuration has `usage`: the checks of the block (index.ts, at cold start) and the
 * tier keys and how they are read (usage-keys.ts, optional-modules.ts, on the first request). An authorizer
 * without usage tiers never loads it.
 */
export { validateUsageKeysBlock } from '../../common/usage-tiers';
export { createUsageKeys } from './usage-keys';
