import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SYNTH_CACHE_ENV, sharedSynth } from '../../local/synth-cache';

describe('sharedSynth', () => {
  let dir: string;
  let calls: (string | undefined)[];
  /** A stand-in for a synthesis: writes one file into the folder it is given. */
  const synth = async (outdir: string | undefined) => {
    calls.push(outdir);
    const out = outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-synth-cache-own-'));
    fs.writeFileSync(path.join(out, 'manifest.json'), '{}');
    return { assembly: out, stack: 'Keygate-dev' };
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-synth-cache-'));
    calls = [];
    vi.stubEnv(SYNTH_CACHE_ENV, dir);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('synthesizes a key once and serves the same folder to later calls', async () => {
    const first = await sharedSynth('a', synth);
    const again = await sharedSynth('a', synth);
    expect(calls).toHaveLength(1);
    expect(again).toEqual(first);
    expect(path.dirname(first.assembly)).toBe(dir);
    expect(fs.existsSync(path.join(first.assembly, 'manifest.json'))).toBe(true);
  });

  it('synthesizes each distinct key', async () => {
    const a = await sharedSynth('a', synth);
    const b = await sharedSynth('b', synth);
    expect(calls).toHaveLength(2);
    expect(a.assembly).not.toBe(b.assembly);
  });

  it('serves the copy another process put in place first, and removes its own', async () => {
    // Both start before either has finished: the second finds the first's folder when it renames.
    const [one, two] = await Promise.all([sharedSynth('a', synth), sharedSynth('a', synth)]);
    expect(calls).toHaveLength(2);
    expect(two).toEqual(one);
    expect(fs.readdirSync(dir)).toEqual([path.basename(one.assembly)]);
  });

  it('without the variable, synthesizes every time into a folder of its own', async () => {
    vi.stubEnv(SYNTH_CACHE_ENV, '');
    const before = process.listeners('exit');
    const a = await sharedSynth('a', synth);
    const b = await sharedSynth('a', synth);
    expect(calls).toEqual([undefined, undefined]);
    expect(a.assembly).not.toBe(b.assembly);
    // Each folder is removed when the process exits: run those listeners now, and take them off.
    const added = process.listeners('exit').filter((l) => !before.includes(l));
    expect(added).toHaveLength(2);
    expect([a, b].every((s) => fs.existsSync(s.assembly))).toBe(true);
    for (const l of added) {
      l.call(process, 0);
      process.off('exit', l);
    }
    expect([a, b].some((s) => fs.existsSync(s.assembly))).toBe(false);
  });
});
