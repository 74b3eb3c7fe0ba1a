/**
 * The Lambda functions Keygate ships, and how each is bundled. Plain data with no imports: the package
 * build (scripts/build-lambdas.ts) bundles every entry from this list, and the constructs find the bundles
 * by these names (lib/internal/lambda-code.ts), so the two can never disagree.
 */

/**
 * Names of the bundled functions; `assets/lambda/<name>/index.js` holds each bundle, beside the function's
 * further modules (`modules`) when it has any.
 */
export const LAMBDA_ENTRY_NAMES = [
  'authorizer',
  'back-channel-logout',
  'models',
  'pre-token-generation',
  'sign-in',
] as const;
export type LambdaEntryName = (typeof LAMBDA_ENTRY_NAMES)[number];

/** How one function is bundled (esbuild options that differ between functions). */
export interface LambdaEntrySpec {
  /** Source entry, relative to the package root. */
  readonly source: string;
  /**
   * Modules bundled on their own into the function's directory, by output name (`session` -> `session.js`,
   * source relative to the package root): code the function `require`s at run time only when its
   * configuration needs it, so every other cold start skips it. Each must be listed in `external` as
   * `./<name>.js`, or esbuild would inline it into `index.js` as well.
   * @default - none: the function is `index.js` alone
   */
  readonly modules?: { readonly [name: string]: string };
  /**
   * Modules left out of the bundle. `@aws-sdk/*` relies on the AWS SDK v3 the Node.js 22 runtime ships;
   * an empty list bundles every client at the version the tests ran against.
   */
  readonly external: readonly string[];
  /** package.json fields esbuild resolves a dependency through, in order. */
  readonly mainFields?: readonly string[];
}

export const LAMBDA_ENTRIES: { readonly [name in LambdaEntryName]: LambdaEntrySpec } = {
  authorizer: {
    source: 'lambda/authorizer/index.ts',
    // Browser-session support: loaded by index.js only when the configuration has `session`. jose for
    // DPoP proofs: loaded by dpop.ts on the first proof. Neither is read at the cold start of an
    // authorizer that does not use it.
    modules: { session: 'lambda/authorizer/session.ts', 'dpop-jose': 'lambda/authorizer/dpop-jose.ts' },
    external: ['@aws-sdk/*', './session.js', './dpop-jose.js'],
    // ESM builds of jose and aws-jwt-verify tree-shake better than their CommonJS builds.
    mainFields: ['module', 'main'],
  },
  'back-channel-logout': {
    source: 'lambda/back-channel-logout/index.ts',
    external: ['@aws-sdk/*'],
    mainFields: ['module', 'main'],
  },
  models: {
    source: 'lambda/models/index.ts',
    // The Bedrock and SageMaker clients are bundled at the tested versions, not the runtime's.
    external: [],
  },
  'pre-token-generation': {
    source: 'lambda/pre-token-generation/index.ts',
    external: ['@aws-sdk/*'],
  },
  'sign-in': {
    source: 'lambda/sign-in/index.ts',
    external: ['@aws-sdk/*'],
  },
};

/** The JavaScript files of a function's bundle, `index.js` first (each comes with its `.map`). */
export function lambdaBundleFiles(name: LambdaEntryName): string[] {
  return ['index', ...Object.keys(LAMBDA_ENTRIES[name].modules ?? {}).sort()].map((m) => `${m}.js`);
}

/** Where a bundle lives, relative to the package root. */
export function lambdaAssetDir(name: LambdaEntryName): string {
  return `assets/lambda/${name}`;
}

/** Where the build records a bundle's inputs (file -> sha256), relative to the package root; not shipped. */
export function lambdaBuildRecord(name: LambdaEntryName): string {
  return `assets/.build/${name}.json`;
}
