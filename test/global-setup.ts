/**
 * Vitest global setup: bundles the Lambda functions once per test run. The constructs deploy these
 * prebuilt bundles (lib/internal/lambda-code.ts), so each synthesized stack only hashes a directory
 * instead of running esbuild, and tests always see bundles of the current sources. A folder for the run's
 * shared synthesized stages (local/synth-cache.ts), removed when the run ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNTH_CACHE_ENV } from '../local/synth-cache';
import { buildLambdas } from '../scripts/build-lambdas';

export default async function setup(): Promise<() => void> {
  await buildLambdas();
  const dir = mkdtempSync(join(tmpdir(), 'keygate-synth-cache-'));
  // The test files' processes inherit the environment of the run.
  process.env[SYNTH_CACHE_ENV] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
