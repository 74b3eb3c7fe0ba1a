/**
 * Vitest global setup: bundles the Lambda functions once per test run. The constructs deploy these
 * prebuilt bundles (lib/internal/lambda-code.ts), so each synthesized stack only hashes a directory
 * instead of running esbuild, and tests always see bundles of the current sources. It also makes the
 * run's folder of synthesized assemblies (local/synth-cache.ts), so test files serving the same stage
 * synthesize it once per run; the folder is emptied before a watch-mode rerun and removed at the end.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildLambdas } from '../scripts/build-lambdas';
import { SYNTH_CACHE_ENV } from '../local/synth-cache';

export default async function setup(project: TestProject): Promise<() => void> {
  await buildLambdas();
  // The test processes start after this and inherit the variable.
  const dir = mkdtempSync(join(tmpdir(), 'keygate-test-assemblies-'));
  process.env[SYNTH_CACHE_ENV] = dir;
  project.onTestsRerun(() => {
    // Sources may have changed: synthesize again.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
  });
  return () => rmSync(dir, { recursive: true, force: true });
}
