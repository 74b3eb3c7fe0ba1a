/**
 * The deploy tests' committed snapshots: every CloudFormation template an integ app (test/integ/integ.*.ts)
 * synthesizes, its test stacks and its assertion stack, in `<app>.snapshot/` next to the app, as
 * integ-runner lays them out (templates only; asset folders are not kept).
 *
 * `snapshots.test.ts` synthesizes each app again and compares, so a change to a deployed resource fails
 * `npm test` until the snapshot is rewritten (`npm run integ:snapshot`) and the diff is reviewed. Asset
 * hashes and the names derived from them are compared by position (normalizeHashes), as integ-runner
 * does: new Lambda code alone is no resource change.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { normalizeHashes } from '../support/normalize-hashes';

const ROOT = path.resolve(__dirname, '..', '..');
export const INTEG_DIR = __dirname;

/** A template by its file name (`<artifact id>.template.json`). */
export type Templates = Record<string, Record<string, unknown>>;

/** The integ apps: `integ.<name>.ts`, sorted. */
export function integApps(): string[] {
  return fs
    .readdirSync(INTEG_DIR)
    .filter((f) => /^integ\.[a-z0-9-]+\.ts$/.test(f))
    .sort();
}

export function snapshotDir(app: string): string {
  return path.join(INTEG_DIR, `${app}.snapshot`);
}

/** Synthesizes one integ app into `outdir` and returns its stack templates. */
export function synthIntegApp(app: string, outdir: string): Templates {
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(INTEG_DIR, app)], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_OUTDIR: outdir },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`synth of ${app} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return readTemplates(outdir);
}

/** The stack templates of a cloud assembly (or of a snapshot, which keeps the assembly's manifest). */
export function readTemplates(dir: string): Templates {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const templates: Templates = {};
  for (const artifact of Object.values(manifest.artifacts)) {
    const file = artifact.properties?.templateFile;
    if (artifact.type !== 'aws:cloudformation:stack' || !file) continue;
    templates[file] = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
  }
  return templates;
}

/** Writes the snapshot of `app`: its stacks' manifest entries and templates, replacing the old snapshot. */
export function writeSnapshot(app: string, outdir: string): void {
  const templates = readTemplates(outdir);
  const dir = snapshotDir(app);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    version: string;
    artifacts: Record<string, { type: string; environment?: string; properties?: { templateFile?: string } }>;
  };
  // The stacks and their template files only: asset manifests, the tree and the template's own hash
  // (which changes with the salts) describe nothing a snapshot keeps.
  const artifacts = Object.fromEntries(
    Object.entries(manifest.artifacts)
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([id, a]) => [
        id,
        {
          type: a.type,
          environment: a.environment,
          properties: { templateFile: a.properties?.templateFile },
        },
      ]),
  );
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    `${JSON.stringify({ version: manifest.version, artifacts }, null, 1)}\n`,
  );
  for (const [file, template] of Object.entries(templates)) {
    // Without the assertions' salts, so a snapshot rewritten without changes is byte-for-byte the same.
    fs.writeFileSync(path.join(dir, file), `${JSON.stringify(withoutSalts(template), null, 1)}\n`);
  }
}

/**
 * What differs between a snapshot's templates and freshly synthesized ones, one line per stack added or
 * removed and per changed top-level entry (`<template> Resources.<id>: changed Properties.MemorySize`).
 * Empty when they are equal, hashes aside.
 */
export function diffTemplates(expected: Templates, actual: Templates): string[] {
  const lines: string[] = [];
  for (const file of union(expected, actual)) {
    if (!(file in actual)) lines.push(`${file}: stack removed`);
    else if (!(file in expected)) lines.push(`${file}: stack added`);
    else {
      const before = normalizeHashes(withoutSalts(expected[file])) as Record<string, Record<string, unknown>>;
      const after = normalizeHashes(withoutSalts(actual[file])) as Record<string, Record<string, unknown>>;
      for (const section of union(before, after)) {
        for (const id of union(before[section] ?? {}, after[section] ?? {})) {
          const paths = differingPaths(before[section]?.[id], after[section]?.[id], '');
          if (paths.length > 0) lines.push(`${file} ${section}.${id}: ${describe(paths)}`);
        }
      }
    }
  }
  return lines;
}

/**
 * The template without the `salt` of integ-tests' assertion resources: a timestamp of the synth, so that
 * every deployment runs the assertions again. It changes on every synth and describes nothing deployed.
 */
function withoutSalts(template: Record<string, unknown>): Record<string, unknown> {
  const resources = template.Resources as Record<string, { Type: string; Properties?: object }> | undefined;
  if (!resources) return template;
  const unsalted = Object.fromEntries(
    Object.entries(resources).map(([id, r]) => {
      if (!r.Type.startsWith('Custom::DeployAssert@') || !r.Properties || !('salt' in r.Properties))
        return [id, r];
      const properties = { ...(r.Properties as Record<string, unknown>) };
      delete properties.salt;
      return [id, { ...r, Properties: properties }];
    }),
  );
  return { ...template, Resources: unsalted };
}

function union(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function describe(paths: string[]): string {
  if (paths.length === 1 && paths[0] === '') return 'added or removed';
  const shown = paths.slice(0, 5).join(', ');
  return `changed ${shown}${paths.length > 5 ? ` and ${paths.length - 5} more` : ''}`;
}

/** Paths (dot-separated, '' for the value itself) where two JSON values differ. */
function differingPaths(a: unknown, b: unknown, at: string): string[] {
  const bothObjects = a && b && typeof a === 'object' && typeof b === 'object';
  if (!bothObjects || Array.isArray(a) !== Array.isArray(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  return union(left, right).flatMap((key) =>
    differingPaths(left[key], right[key], at === '' ? key : `${at}.${key}`),
  );
}
