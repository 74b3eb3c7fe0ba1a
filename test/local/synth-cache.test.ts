import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SYNTH_CACHE_ENV, sharedSynth } from '../../local/synth-cache';

describe('sharedSynth', () => {
  const saved = process.env[SYNTH_CACHE_ENV];
  let dir: string;
  let outdirs: string[];
  const synth = (outdir: string) => {
    outdirs.push(outdir);
    return Promise.resolve({ assembly: outdir, stack: 'Keygate-dev' });
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keygate-synth-cache-test-'));
    outdirs = [];
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[SYNTH_CACHE_ENV];
    else process.env[SYNTH_CACHE_ENV] = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("synthesizes a key once in the run's folder and hands every later caller the same assembly", async () => {
    // GIVEN the run's folder
    process.env[SYNTH_CACHE_ENV] = dir;
    // WHEN the same key is asked for twice, and another key once
    const first = await sharedSynth('["dev",true]', synth);
    const again = await sharedSynth('["dev",true]', synth);
    const other = await sharedSynth('["dev",false]', synth);
    // THEN two syntheses, each into the run's folder, and the repeat answered from it
    expect(outdirs).toHaveLength(2);
    expect(outdirs.map((o) => dirname(o))).toEqual([dir, dir]);
    expect(again).toEqual(first);
    expect(other.assembly).not.toBe(first.assembly);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(2);
  });

  it('synthesizes every time into a folder of its own outside a test run', async () => {
    delete process.env[SYNTH_CACHE_ENV];
    const first = await sharedSynth('["dev",true]', synth);
    const again = await sharedSynth('["dev",true]', synth);
    expect(outdirs).toHaveLength(2);
    expect(again.assembly).not.toBe(first.assembly);
    expect(dirname(first.assembly)).not.toBe(dir);
    for (const o of outdirs) rmSync(o, { recursive: true, force: true });
  });
});
