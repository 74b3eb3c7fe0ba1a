/**
 * The Lambda functions Keygate ships, and how each is bundled. Plain data with no imports: the one
 * definition the package build (scripts/build-lambdas.ts), the benchmark (through
 * scripts/authorizer-bundle-options.ts) and the constructs (lib/internal/lambda-code.ts, which finds the
 * bundles by these names) all read, so they can never disagree. package.json ships every bundle file by a
 * glob (`assets/lambda/*\/*.js`), so a new module is shipped as soon as it is listed here.
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
   * Further modules (names of `modules`) that the function's sources import like any other file, but whose
   * code the bundle loads only when first called: in every other file of the bundle, an import of the
   * module's entry, or of one of the files listed here (which the entry re-exports), is a stub whose
   * functions `require('./<name>.js')` on their first call (scripts/bundle-deferred-modules.ts). The code
   * calls them only when the configuration has the feature, so every other cold start skips the module,
   * while the sources, the tests and the local gateway import the files directly. Such files export
   * functions only (a stub cannot forward a value it has not loaded).
   * @default - none
   */
  readonly deferred?: { readonly [name: string]: readonly string[] };
  /**
   * Modules left out of the bundle. `@aws-sdk/*` relies on the AWS SDK v3 the Node.js 22 runtime ships;
   * an empty list bundles every client at the version the tests ran against.
   */
  readonly external: readonly string[];
  /** package.json fields esbuild resolves a dependency through, in order. */
  readonly mainFields?: readonly string[];
}

/** The esbuild flags every function is bundled with (Lambda `nodejs22.x`). */
export const LAMBDA_BUNDLE_FLAGS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  // CommonJS: ESM-only dependencies (jose) are bundled in, so nothing is `require`d as ESM at run time.
  format: 'cjs',
  minify: true,
} as const;

/**
 * The authorizer's modules beside its core `index.js`, each loaded only when the configuration uses it,
 * so the cold start of an authorizer that does not never reads, parses or compiles it:
 * browser-session support (index.js, with `session`), token binding (index.js, with `tokenBinding`), jose
 * for DPoP proofs (dpop.ts, on the first proof), the revocation check and its DynamoDB list (index.js and
 * handler.ts, with `revocation`), the usage-tier keys (handler.ts, with `usage`, on the first request),
 * and, deferred (below), Cognito user pools (with a `cognito` issuer) and step-up (with an `acrLoaMap` or
 * a route's `requirement.stepUp`), each with the checks of its part of the configuration, the checks of
 * a configuration the construct did not check (without the digest of its checked content), the route
 * table's whole-table checks and reach relation (for such a configuration, and on the first policy that
 * denies a route), and the same-origin check of a token read from a cookie (on the first such request).
 */
const AUTHORIZER_MODULES = {
  binding: 'lambda/authorizer/binding.ts',
  cognito: 'lambda/authorizer/cognito.ts',
  'config-checks': 'lambda/authorizer/config-checks.ts',
  'cookie-csrf': 'lambda/authorizer/cookie-csrf.ts',
  'dpop-jose': 'lambda/authorizer/dpop-jose.ts',
  revocation: 'lambda/authorizer/revocation.ts',
  'route-checks': 'lambda/authorizer/route-checks.ts',
  session: 'lambda/authorizer/session.ts',
  'step-up': 'lambda/authorizer/step-up.ts',
  usage: 'lambda/authorizer/usage.ts',
} as const;

/** The authorizer's deferred modules, with the common/ files of checks each entry re-exports. */
const AUTHORIZER_DEFERRED = {
  cognito: ['common/cognito-issuer.ts', 'lambda/authorizer/cognito-claims.ts'],
  'config-checks': ['common/config-checks.ts'],
  'cookie-csrf': [],
  'route-checks': ['common/route-reach.ts', 'common/route-table-checks.ts'],
  'step-up': ['common/step-up-checks.ts'],
} as const;

/** How a function's code names its further modules at run time (`./session.js`): left external, not inlined. */
export function moduleExternals(modules: { readonly [name: string]: string }): string[] {
  return Object.keys(modules).map((m) => `./${m}.js`);
}

export const LAMBDA_ENTRIES: { readonly [name in LambdaEntryName]: LambdaEntrySpec } = {
  authorizer: {
    source: 'lambda/authorizer/index.ts',
    modules: AUTHORIZER_MODULES,
    deferred: AUTHORIZER_DEFERRED,
    external: ['@aws-sdk/*', ...moduleExternals(AUTHORIZER_MODULES)],
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
