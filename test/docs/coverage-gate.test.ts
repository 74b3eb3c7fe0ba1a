/**
 * The coverage gate's thresholds as docs/security-testing.md states them are those vitest.config.mts sets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');

describe('the coverage gate', () => {
  it('docs/security-testing.md lists the thresholds vitest.config.mts sets', async () => {
    // Imported by a computed path: the .mts file is outside the type-checked project.
    const configFile = path.join(ROOT, 'vitest.config.mts');
    const config = ((await import(configFile)) as { default: { test?: { coverage?: unknown } } }).default;
    const page = fs.readFileSync(path.join(ROOT, 'docs', 'security-testing.md'), 'utf8');
    const documented = Object.fromEntries(
      [...page.matchAll(/^\| `([a-z]+)\/\*\*` \| ([\d.]+) % +\| ([\d.]+) % +\|$/gm)].map((m) => [
        `${m[1]}/**/*.ts`,
        { lines: Number(m[2]), branches: Number(m[3]) },
      ]),
    );
    const thresholds = (config.test?.coverage as { thresholds?: Record<string, unknown> }).thresholds;
    expect(documented).toEqual(thresholds);
    expect(Object.keys(documented)).toEqual(['lambda/**/*.ts', 'common/**/*.ts']);
  });
});
