/**
 * Synthesized assemblies shared by the processes of one test run. Every test file runs in a process of its
 * own, and serveStage synthesizes once per process (seconds of CPU each); with KEYGATE_SYNTH_CACHE_DIR set
 * (the test run's global setup makes the folder and removes it at the end), a stage synthesized by one file
 * is served from the same assembly by the next. Valid only while the sources and the Lambda bundles stay as
 * they are, which is why only a test run, which builds the bundles once at its start, sets it.
 *
 * Cache: key = the synthesis inputs (app config, stage name, sign-in); bound = the distinct stages a run
 * serves; no eviction (the folder goes with the run). Two processes asking at once both synthesize, and
 * either result is complete (the index entry is written by rename).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SYNTH_CACHE_ENV = 'KEYGATE_SYNTH_CACHE_DIR';

export interface SynthesizedApp {
  readonly assembly: string;
  readonly stack: string;
}

/** The assembly for `key`: from the run's shared folder when there is one, else `synth` into a new folder. */
export async function sharedSynth(
  key: string,
  synth: (outdir: string) => Promise<SynthesizedApp>,
): Promise<SynthesizedApp> {
  const dir = process.env[SYNTH_CACHE_ENV];
  if (!dir) return synth(mkdtempSync(join(tmpdir(), 'keygate-start-')));
  const id = createHash('sha256').update(key).digest('hex').slice(0, 32);
  const entry = join(dir, `${id}.json`);
  if (existsSync(entry)) return JSON.parse(readFileSync(entry, 'utf8')) as SynthesizedApp;
  const app = await synth(mkdtempSync(join(dir, `${id}-`)));
  const partial = `${entry}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(app));
  renameSync(partial, entry);
  return app;
}
