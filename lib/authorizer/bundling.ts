import * as path from 'node:path';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** Repository root (this file is lib/authorizer/bundling.ts). */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');

export const AUTHORIZER_ENTRY = path.join(PROJECT_ROOT, 'lambda', 'authorizer', 'index.ts');

export const AUTHORIZER_RUNTIME = Runtime.NODEJS_22_X;
export const AUTHORIZER_ARCHITECTURE = Architecture.ARM_64;

/**
 * esbuild options for the authorizer. Local esbuild only: Docker is never needed. CommonJS output, so
 * the ESM-only libraries (jose) are bundled in and nothing is `require`d as ESM at run time. The
 * benchmark bundles with scripts/authorizer-bundle-options.ts; a test keeps the two identical.
 */
export const AUTHORIZER_BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node22',
  format: OutputFormat.CJS,
  // ESM builds of the dependencies tree-shake better than their CommonJS builds.
  mainFields: ['module', 'main'],
  // Node 22 on Lambda ships AWS SDK v3; the authorizer does not use it, and bundling keeps it out.
  externalModules: ['@aws-sdk/*'],
};
