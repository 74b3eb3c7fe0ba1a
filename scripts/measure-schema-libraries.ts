/**
 * Measures what a schema library would cost the authorizer: the bytes it adds to the core bundle and the
 * time a fresh process takes to load the validator and validate one configuration (a cold start's share).
 * Candidates: today's hand-written validator, valibot and zod/mini, each validating the authorizer
 * configuration's structure (scripts/schema-measure/). Each is bundled with the authorizer's own esbuild
 * options; "added to the core" bundles the library schema together with the hand-written checks (the
 * cross-field checks stay plain functions in every design), so it is an upper bound.
 * Every candidate is bundled with all its checks inline, without the deferred-modules plugin: in the
 * authorizer's own bundle the checks of its deferred modules (lib/internal/lambda-entries.ts `deferred`:
 * Cognito issuers, step-up, the route table's checks, ...) are stubs that `require('./<name>.js')` beside
 * `index.js`, which a candidate's bundle does not have, and candidates compare like for like only with
 * the same checks in each. The core bundle is measured as deployed (with the plugin).
 *
 *   npx tsx scripts/measure-schema-libraries.ts
 *
 * Prints a table; timings are medians of fresh `node` processes and vary with the machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { AUTHORIZER_BUNDLE_OPTIONS, AUTHORIZER_ENTRY } from './authorizer-bundle-options';

const ROOT = resolve(__dirname, '..');
const DIR = join(ROOT, 'scripts/schema-measure');
const RUNS = 21;

const CANDIDATES = {
  'hand-written (today)': ['hand-written-entry.ts'],
  valibot: ['valibot-entry.ts'],
  'zod/mini': ['zod-mini-entry.ts'],
  'valibot + hand-written': ['valibot-entry.ts', 'hand-written-entry.ts'],
  'zod/mini + hand-written': ['zod-mini-entry.ts', 'hand-written-entry.ts'],
} as const;

async function bundle(files: readonly string[], out: string): Promise<Buffer> {
  // Every check inline: no deferred-modules stubs (see above).
  return bundleEntry(bundleSource(files), out, []);
}

function bundleSource(files: readonly string[]): string {
  const names = files.map((_, i) => `v${i}`);
  const contents =
    files
      .map((f, i) => `import { validate as ${names[i]} } from ${JSON.stringify(resolve(DIR, f))};`)
      .join('\n') + `\nexport function validate() { return ${names.map((n) => `${n}()`).join(' && ')}; }\n`;
  return contents;
}

async function bundleEntry(
  entry: string | { file: string },
  out: string,
  plugins: readonly Plugin[] = AUTHORIZER_BUNDLE_OPTIONS.plugins,
): Promise<Buffer> {
  const o = AUTHORIZER_BUNDLE_OPTIONS;
  await build({
    ...(typeof entry === 'string'
      ? { stdin: { contents: entry, resolveDir: DIR, loader: 'ts' as const } }
      : { entryPoints: [entry.file] }),
    bundle: true,
    minify: o.minify,
    format: o.format,
    target: o.target,
    platform: o.platform,
    mainFields: [...o.mainFields],
    external: [...o.externalModules],
    plugins: [...plugins],
    outfile: out,
    logLevel: 'error',
  });
  return readFileSync(out);
}

/** One fresh process: load the bundle and validate once, timed inside the process. */
function coldValidateMs(file: string): number {
  const script =
    `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});` +
    `if(!m.validate())throw new Error('sample rejected');` +
    `process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'keygate-schema-'));
  try {
    const core = await bundleEntry({ file: join(ROOT, AUTHORIZER_ENTRY) }, join(tmp, 'core.js'));
    const rows: string[][] = [];
    const sizes: Record<string, number> = {};
    for (const [name, files] of Object.entries(CANDIDATES)) {
      const out = join(tmp, `${rows.length}.js`);
      const code = await bundle(files, out);
      sizes[name] = code.length;
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push(coldValidateMs(out));
      rows.push([name, String(code.length), String(gzipSync(code).length), median(times).toFixed(2)]);
    }
    const hand = sizes['hand-written (today)'];
    const lines = [
      `authorizer core bundle today: ${core.length} B (target ≤ 64000 B)`,
      '',
      '| validator | minified B | gzip B | cold load + validate, median ms |',
      '|---|---:|---:|---:|',
      ...rows.map((r) => `| ${r.join(' | ')} |`),
      '',
      ...(['valibot', 'zod/mini'] as const).map((lib) => {
        const added = sizes[`${lib} + hand-written`] - hand;
        return `${lib}: adds at most ${added} B to the core → ${core.length + added} B (${core.length + added <= 64000 ? 'within' : 'over'} 64000 B)`;
      }),
    ];
    writeFileSync(join(tmp, 'report.txt'), lines.join('\n'));
    console.log(lines.join('\n'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
