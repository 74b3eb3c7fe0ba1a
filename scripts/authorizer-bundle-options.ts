/**
 * The one definition of how the authorizer Lambda is bundled, shared by the benchmark (which measures
 * the bundle's size and load time) and the package build (scripts/build-lambdas.ts, through
 * lib/internal/lambda-entries.ts), so the measured bundle is the deployed one. Plain data: no esbuild or
 * CDK import here.
 *
 * The authorizer is two files in one asset directory: `index.js` (the core, loaded at every cold start)
 * and `session.js` (browser-session support, which index.js `require`s only when the configuration has
 * `session`). The core bundle leaves `./session.js` external so the session code is not inlined into it.
 */

/** Entry point, relative to the repository root. */
export const AUTHORIZER_ENTRY = 'lambda/authorizer/index.ts';

/** The session module's entry, bundled on its own as `session.js` beside `index.js`. */
export const AUTHORIZER_SESSION_ENTRY = 'lambda/authorizer/session.ts';

/** How index.ts names the session module at run time: relative to the bundle's own directory. */
export const AUTHORIZER_SESSION_MODULE = './session.js';

/** jose for DPoP proofs, bundled on its own as `dpop-jose.js` beside `index.js`. */
export const AUTHORIZER_DPOP_ENTRY = 'lambda/authorizer/dpop-jose.ts';

/** How dpop.ts names the jose module at run time (imported on the first proof). */
export const AUTHORIZER_DPOP_MODULE = './dpop-jose.js';

export const AUTHORIZER_BUNDLE_OPTIONS = {
  minify: true,
  /** CommonJS: the ESM-only libraries are bundled in, so nothing is `require`d as ESM at run time. */
  format: 'cjs',
  /** Lambda `nodejs22.x`. */
  target: 'node22',
  platform: 'node',
  /** ESM builds of the dependencies tree-shake better than their CommonJS builds. */
  mainFields: ['module', 'main'],
  /**
   * The runtime ships AWS SDK v3; the authorizer does not use it. `./session.js` is the session module,
   * loaded from the asset directory at run time (esbuild keeps a `require` of an external path as is).
   */
  externalModules: ['@aws-sdk/*', AUTHORIZER_SESSION_MODULE, AUTHORIZER_DPOP_MODULE],
} as const;
