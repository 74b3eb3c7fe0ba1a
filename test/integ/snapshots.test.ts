/**
 * The deploy tests' snapshots are current: each integ app synthesizes exactly the committed templates,
 * asset hashes aside. A failure lists the changed resources; `npm run integ:snapshot` rewrites the
 * snapshots for review.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffTemplates, integApps, readTemplates, snapshotDir, synthIntegApp } from './integ-snapshots';
import type { Templates } from './integ-snapshots';

const APPS = integApps();

describe('the deploy tests', () => {
  let work: string;
  const synthesized: Record<string, Templates> = {};

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-integ-'));
    for (const app of APPS) synthesized[app] = synthIntegApp(app, path.join(work, app));
  }, 300_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('are the default stack and the Cognito caller stack', () => {
    expect(APPS).toEqual(['integ.cognito-caller.ts', 'integ.default-stack.ts']);
  });

  it.each(APPS)('%s: each has a test stack and an assertion stack', (app) => {
    expect(Object.keys(synthesized[app])).toHaveLength(2);
  });

  it.each(APPS)('%s synthesizes its committed snapshot', (app) => {
    expect(fs.existsSync(snapshotDir(app)), `no snapshot: run npm run integ:snapshot`).toBe(true);
    expect(diffTemplates(readTemplates(snapshotDir(app)), synthesized[app])).toEqual([]);
  });

  it('reports a changed resource property, and only that resource', () => {
    // GIVEN the default stack's snapshot, WHEN one function's memory size changes
    const expected = readTemplates(snapshotDir('integ.default-stack.ts'));
    const actual = structuredClone(expected);
    const stack = Object.keys(actual).find((f) => f.startsWith('KeygateIntegDefault.'));
    expect(stack).toBe('KeygateIntegDefault.template.json');
    const resources = actual[stack!].Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const functions = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    resources[functions[0]].Properties.MemorySize = 3008;
    // THEN the diff names that resource and property
    expect(diffTemplates(expected, actual)).toEqual([
      `${stack} Resources.${functions[0]}: changed Properties.MemorySize`,
    ]);
  });

  it('compares asset hashes by position: new Lambda code alone is no change', () => {
    const expected = readTemplates(snapshotDir('integ.default-stack.ts'));
    const rehashed = JSON.parse(
      JSON.stringify(expected).replace(/[0-9a-f]{64}/g, (h) => [...h].reverse().join('')),
    ) as Templates;
    expect(JSON.stringify(rehashed)).not.toBe(JSON.stringify(expected));
    expect(diffTemplates(expected, rehashed)).toEqual([]);
  });
});
