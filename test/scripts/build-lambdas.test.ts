import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LAMBDA_ENTRIES,
  LAMBDA_ENTRY_NAMES,
  lambdaAssetDir,
  lambdaBuildRecord,
} from '../../lib/internal/lambda-entries';
import type { BuiltLambda } from '../../scripts/build-lambdas';
import { PACKAGE_ROOT, buildLambdas } from '../../scripts/build-lambdas';

describe('buildLambdas', () => {
  let first: string;
  let second: string;
  let built: BuiltLambda[];
  let rebuilt: BuiltLambda[];

  beforeAll(async () => {
    // GIVEN two builds of the same sources into two folders
    first = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-bundles-'));
    second = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-bundles-'));
    // A leftover from an older build must not stay in the asset directory.
    fs.mkdirSync(path.join(second, lambdaAssetDir('authorizer')), { recursive: true });
    fs.writeFileSync(path.join(second, lambdaAssetDir('authorizer'), 'index.mjs'), 'stale');
    built = await buildLambdas({ outRoot: first });
    rebuilt = await buildLambdas({ outRoot: second });
  });

  afterAll(() => {
    for (const dir of [first, second]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bundles every function of the entry list whose source exists, in the list order', () => {
    const present = LAMBDA_ENTRY_NAMES.filter((name) =>
      fs.existsSync(path.join(PACKAGE_ROOT, LAMBDA_ENTRIES[name].source)),
    );
    expect(present).toContain('authorizer');
    expect(built.map((b) => b.name)).toEqual(present);
  });

  it('writes exactly index.js and its source map per function', () => {
    for (const b of rebuilt) {
      expect(fs.readdirSync(b.dir).sort()).toEqual(['index.js', 'index.js.map']);
      expect(b.files.map((f) => f.file)).toEqual(['index.js', 'index.js.map']);
    }
  });

  it('gives byte-identical bundles for the same sources', () => {
    expect(rebuilt.map((b) => b.files)).toEqual(built.map((b) => b.files));
    for (const b of built) {
      for (const file of ['index.js', 'index.js.map']) {
        const a = fs.readFileSync(path.join(first, lambdaAssetDir(b.name), file));
        const c = fs.readFileSync(path.join(second, lambdaAssetDir(b.name), file));
        expect(a.equals(c), `${b.name}/${file}`).toBe(true);
      }
    }
  });

  it('writes no absolute path of the build machine into a bundle or map', () => {
    const map = JSON.parse(
      fs.readFileSync(path.join(first, lambdaAssetDir('authorizer'), 'index.js.map'), 'utf8'),
    ) as { sources: string[] };
    expect(map.sources).toContain('../../../lambda/authorizer/index.ts');
    for (const b of built) {
      for (const file of ['index.js', 'index.js.map']) {
        const text = fs.readFileSync(path.join(first, lambdaAssetDir(b.name), file), 'utf8');
        expect(text.includes(PACKAGE_ROOT), `${b.name}/${file}`).toBe(false);
        expect(text.includes(first), `${b.name}/${file}`).toBe(false);
      }
    }
  });

  it.each(
    LAMBDA_ENTRY_NAMES.filter((name) => fs.existsSync(path.join(PACKAGE_ROOT, LAMBDA_ENTRIES[name].source))),
  )('produces a CommonJS %s bundle that loads alone and exports handler', (name) => {
    // A fresh process in a folder without node_modules: the bundle must need nothing but Node.js.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-load-'));
    try {
      fs.cpSync(path.join(first, lambdaAssetDir(name)), dir, { recursive: true });
      const result = spawnSync(
        process.execPath,
        ['-e', "process.stdout.write(typeof require('./index.js').handler)"],
        { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      // Without its configuration a function may log that it is unconfigured; it must still load.
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe('function');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records the content hash of every input, sources and dependencies alike', () => {
    const record = JSON.parse(fs.readFileSync(path.join(first, lambdaBuildRecord('authorizer')), 'utf8')) as {
      inputs: Record<string, string>;
    };
    expect(record.inputs['lambda/authorizer/index.ts']).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(record.inputs).some((file) => file.startsWith('common/'))).toBe(true);
    // (A linked node_modules is recorded by its real path, outside the package root.)
    expect(Object.keys(record.inputs).some((file) => file.includes('node_modules/'))).toBe(true);
  });
});
