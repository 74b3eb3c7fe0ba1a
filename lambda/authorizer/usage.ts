/**
 * Entry point of the authorizer's usage-key module (`usage.js` beside `index.js` in the deployed bundle),
 * loaded on the first request of an authorizer whose configuration has `usage`: the tier keys and how they
 * are read (usage-keys.ts). An authorizer without usage tiers never loads it.
 */
export { createUsageKeys } from './usage-keys';
