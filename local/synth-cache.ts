/**
 * Synthesized assemblies shared by the processes of one test run. serveStage synthesizes a stage once per
 * process (a synthesis costs about 4 s of CPU); the test files run in processes of their own, so without
 * this each file serving the same stage would synthesize it again. With `KEYGATE_SYNTH_CACHE` naming a
 * folder (test/global-setup.ts makes one per run and removes it after), the first process to synthesize a
 * stage keeps the assembly there under the hash of its inputs and the others serve that copy.
 *
 * Cache: key = the synthesis inputs (the app config, the stage's name, sign-in) hashed; bound = the
 * distinct stages of one run; eviction = the folder is removed at the end of the run, so assemblies of
 * changed sources are never served. Saves one synthesis per test file after the first.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SYNTH_CACHE_ENV = 'KEYGATE_SYNTH_CACHE';

/** What a synthesis gives: the assembly folder and the name of the stack to serve. */
export interface SynthesizedApp {
  readonly assembly: string;
  readonly stack: string;
}

const MARKER = 'keygate-synthesized.json';

/** `synth(outdir)`'s result for `key`, from the run's shared folder when there is one. */
export async function sharedSynth(
  key: string,
  synth: (outdir: string | undefined) => Promise<SynthesizedApp>,
): Promise<SynthesizedApp> {
  const dir = process.env[SYNTH_CACHE_ENV];
  if (!dir) {
    const made = await synth(undefined);
    // The process's own assembly (npm start, the demo), in a folder of its own: gone when the process ends.
    process.once('exit', () => rmSync(made.assembly, { recursive: true, force: true }));
    return made;
  }
  const final = join(dir, createHash('sha256').update(key).digest('hex').slice(0, 32));
  const found = readMarker(final);
  if (found) return found;
  // Synthesized aside, then renamed into place whole: another process never sees half an assembly.
  const aside = mkdtempSync(`${final}.tmp-`);
  const made = await synth(aside);
  writeFileSync(join(aside, MARKER), JSON.stringify({ stack: made.stack }));
  try {
    renameSync(aside, final);
  } catch (e) {
    // Another process put the same assembly in place first: serve that one.
    rmSync(aside, { recursive: true, force: true });
    const theirs = readMarker(final);
    if (!theirs) throw e;
    return theirs;
  }
  return { assembly: final, stack: made.stack };
}

function readMarker(folder: string): SynthesizedApp | undefined {
  const marker = join(folder, MARKER);
  if (!existsSync(marker)) return undefined;
  const { stack } = JSON.parse(readFileSync(marker, 'utf8')) as { stack: string };
  return { assembly: folder, stack };
}
