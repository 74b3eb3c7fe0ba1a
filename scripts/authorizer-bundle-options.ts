/**
 * The one definition of how the authorizer Lambda is bundled, shared by the benchmark (which measures
 * the bundle's size and load time) and the construct (NodejsFunction bundling), so the measured bundle
 * is the deployed one. Plain data: no esbuild or CDK import here.
 */

/** Entry point, relative to the repository root. */
export const AUTHORIZER_ENTRY = 'lambda/authorizer/index.ts';

export const AUTHORIZER_BUNDLE_OPTIONS = {
  minify: true,
  /** CommonJS: the ESM-only libraries are bundled in, so nothing is `require`d as ESM at run time. */
  format: 'cjs',
  /** Lambda `nodejs22.x`. */
  target: 'node22',
  platform: 'node',
  /** ESM builds of the dependencies tree-shake better than their CommonJS builds. */
  mainFields: ['module', 'main'],
  /** The runtime ships AWS SDK v3; the authorizer does not use it. */
  externalModules: ['@aws-sdk/*'],
} as const;
