/**
 * Vitest global setup: bundles the Lambda functions once per test run. The constructs deploy these
 * prebuilt bundles (lib/internal/lambda-code.ts), so each synthesized stack only hashes a directory
 * instead of running esbuild, and tests always see bundles of the current sources.
 */
import { buildLambdas } from '../scripts/build-lambdas';

export default async function setup(): Promise<void> {
  await buildLambdas();
}
