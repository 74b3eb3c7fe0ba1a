/**
 * Entry point of the authorizer's route-checks module (`route-checks.js` beside `index.js` in the deployed
 * bundle, a deferred module: lib/internal/lambda-entries.ts): the whole-table checks of a route table a
 * cached policy must express (common/route-table-checks.ts) and the reach relation they and the policy's
 * Deny statements rest on (common/route-reach.ts). Loaded only when a table needs them: at cold start for
 * a configuration the construct did not check (common/config-digest.ts), and on the first policy
 * that denies a route. A configuration checked at synth, whose callers are allowed every route they ask
 * for, never reads, parses or compiles this code.
 */
export { checkCachedPolicies, policySizeIssues } from '../../common/route-table-checks';
export { looselyBound, routeReach } from '../../common/route-reach';
