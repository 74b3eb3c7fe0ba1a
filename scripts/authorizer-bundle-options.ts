/**
 * The authorizer's bundle as the benchmark and the schema-library measure read it: derived from the one
 * definition, lib/internal/lambda-entries.ts (which the package build, scripts/build-lambdas.ts, bundles
 * from), so the measured bundle is the deployed one. Nothing here is written twice.
 *
 * The authorizer is several files in one asset directory: `index.js` (the core, loaded at every cold
 * start) and its further modules (`session.js`, `binding.js`, `dpop-jose.js`, `revocation.js`,
 * `usage.js`, and the deferred `cognito.js` and `step-up.js`), each `require`d only when the configuration
 * uses it and left external to the core bundle.
 */
import * as path from 'node:path';
import type { Plugin } from 'esbuild';
import { LAMBDA_BUNDLE_FLAGS, LAMBDA_ENTRIES } from '../lib/internal/lambda-entries';
import { deferredModulesPlugin } from './bundle-deferred-modules';

const AUTHORIZER = LAMBDA_ENTRIES.authorizer;
const MODULES = AUTHORIZER.modules as { readonly [name: string]: string };

/** Entry point, relative to the repository root. */
export const AUTHORIZER_ENTRY = AUTHORIZER.source;

/** The session module's entry, bundled on its own as `session.js` beside `index.js`. */
export const AUTHORIZER_SESSION_ENTRY = MODULES.session;

/** How index.ts names the session module at run time: relative to the bundle's own directory. */
export const AUTHORIZER_SESSION_MODULE = './session.js';

/** jose for DPoP proofs, bundled on its own as `dpop-jose.js` beside `index.js`. */
export const AUTHORIZER_DPOP_ENTRY = MODULES['dpop-jose'];

/** How dpop.ts names the jose module at run time (imported on the first proof). */
export const AUTHORIZER_DPOP_MODULE = './dpop-jose.js';

export const AUTHORIZER_BUNDLE_OPTIONS = {
  minify: LAMBDA_BUNDLE_FLAGS.minify,
  format: LAMBDA_BUNDLE_FLAGS.format,
  target: LAMBDA_BUNDLE_FLAGS.target,
  platform: LAMBDA_BUNDLE_FLAGS.platform,
  mainFields: AUTHORIZER.mainFields ?? [],
  /** The runtime's AWS SDK v3, and the authorizer's own modules, loaded from its asset directory. */
  externalModules: AUTHORIZER.external,
  /** Deferred modules (cognito.js, step-up.js): imports of their files are stubs that load them on first call. */
  plugins: [
    deferredModulesPlugin(path.join(__dirname, '..'), MODULES, AUTHORIZER.deferred ?? {}),
  ] as readonly Plugin[],
} as const;
