import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeExample } from './consumer-app';

const ROOT = path.join(__dirname, '..', '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

describe('the README', () => {
  it('shows a complete example app and the cdk.json that runs it with the commands its install line adds', () => {
    const example = readmeExample(README);
    expect(example.appTs).toContain("from 'keygate';");
    expect(example.appTs).toMatch(/\napp\.synth\(\);\n$/);
    expect(JSON.parse(example.cdkJson)).toEqual({ app: 'npx tsx app.ts' });
    expect(README).toContain('npm install --save-dev aws-cdk@2 tsx');
  });

  it('stays a front page: at most 350 lines, every docs/ page linked and every link resolving', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(350);
    const linked = new Set([...README.matchAll(/\]\((docs\/[a-z0-9-]+\.md)\)/g)].map((m) => m[1]));
    const pages = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    expect(pages.map((p) => `docs/${p}`).filter((p) => !linked.has(p))).toEqual([]);
    const broken = [...README.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1])
      .filter((target) => !fs.existsSync(path.join(ROOT, target)));
    expect(broken).toEqual([]);
  });

  it('links from each docs/ page only to files that exist', () => {
    const broken: string[] = [];
    for (const page of fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))) {
      const text = fs.readFileSync(path.join(ROOT, 'docs', page), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#:\s]+)(?:#[^)]*)?\)/g)) {
        if (!fs.existsSync(path.join(ROOT, 'docs', m[1]))) broken.push(`docs/${page}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
