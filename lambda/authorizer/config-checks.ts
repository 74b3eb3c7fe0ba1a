/**
 * Entry point of the authorizer's config-checks module (`config-checks.js` beside `index.js` in the
 * deployed bundle, a deferred module: lib/internal/lambda-entries.ts): the checks of a configuration's
 * content that the construct runs at synth (common/config-checks.ts). Loaded at cold start only for a
 * configuration without the digest of its checked content (common/config-digest.ts), such as one written
 * or edited by hand; a configuration the construct rendered never reads, parses or compiles this code.
 */
export { uncheckedConfigIssues, unknownFieldIssues } from '../../common/config-checks';
