/**
 * CloudFormation's own linter over every template Keygate synthesizes (see templates.ts): zero errors,
 * zero warnings. A warning is either fixed in the construct or acknowledged on its resource with cfn-lint
 * metadata (`Metadata: { cfn-lint: { config: { ignore_checks: [...] } } }`) by the construct, with the
 * reason in the construct's code; the last test lists every acknowledgement, so a new one shows in review.
 * Needs .venv (scripts/python-venv.sh); run with `npm run test:cfn-lint`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { SynthesizedTemplate } from './templates';
import { readmeStages, synthesizeAll } from './templates';

const CFN_LINT = path.join(__dirname, '..', '..', '.venv', 'bin', 'cfn-lint');

/** The templates, by name, known before synthesis so that each gets a test of its own. */
const NAMES = [
  'default-app',
  ...Object.keys(readmeStages()).map((n) => `readme-${n}`),
  'full-rest',
  'full-both',
  'per-caller-tiers',
  'iam-tiers',
  'readme-consumer-app',
  'mutual-tls-domains',
];

interface Finding {
  readonly Rule: { readonly Id: string };
  readonly Level: string;
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path: readonly (string | number)[] };
}

/**
 * Findings on resources Keygate does not build. The README's consumer app defines its own backend with
 * aws-cdk's `lambda.Function`, which has the same redundant role dependency as Keygate's functions
 * (see lib/internal/lambda-code.ts); that is the consumer's resource, left as a consumer would write it.
 */
const NOT_KEYGATE: readonly { template: string; resource: RegExp; rule: string }[] = [
  { template: 'readme-consumer-app', resource: /^Orders[0-9A-F]{8}$/, rule: 'W3005' },
];

function describeFinding(f: Finding): string {
  return `${f.Level} ${f.Rule.Id} at ${f.Location.Path.join('/')}: ${f.Message}`;
}

let templates: Map<string, SynthesizedTemplate>;
let findings: Map<string, Finding[]>;
let version: string;

beforeAll(async () => {
  if (!fs.existsSync(CFN_LINT)) throw new Error(`${CFN_LINT} is missing: run scripts/python-venv.sh`);
  version = spawnSync(CFN_LINT, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-cfn-lint-'));
  const list = await synthesizeAll(outdir);
  templates = new Map(list.map((t) => [t.name, t]));
  findings = new Map(list.map((t) => [t.name, []]));
  const byFile = new Map(list.map((t) => [path.resolve(t.file), t.name]));
  for (const region of new Set(list.map((t) => t.region))) {
    const files = list.filter((t) => t.region === region).map((t) => t.file);
    // Exit codes 2/4/8 mean errors/warnings/informational findings; the JSON on stdout says which.
    const run = spawnSync(CFN_LINT, ['--format', 'json', '--regions', region, '--', ...files], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.error || run.stdout.trim() === '') {
      throw new Error(`cfn-lint failed to run (status ${run.status}): ${run.error?.message ?? run.stderr}`);
    }
    for (const f of JSON.parse(run.stdout) as Finding[]) {
      const name = byFile.get(path.resolve(f.Filename));
      if (name === undefined) throw new Error(`cfn-lint reported an unknown file ${f.Filename}`);
      findings.get(name)!.push(f);
    }
  }
});

describe('cfn-lint', () => {
  test('is the pinned version', () => {
    const pinned = /^cfn-lint==(\S+)/m.exec(
      fs.readFileSync(path.join(__dirname, '..', '..', 'requirements-dev.txt'), 'utf8'),
    );
    expect(version).toBe(`cfn-lint ${pinned?.[1]}`);
  });

  test('lints every template the tests synthesize', () => {
    expect([...templates.keys()].sort()).toEqual([...NAMES].sort());
    expect(NAMES).toHaveLength(9);
  });

  test.each(NAMES)('%s: no error and no warning', (name) => {
    const template = JSON.parse(fs.readFileSync(templates.get(name)!.file, 'utf8')) as {
      Resources: Record<string, unknown>;
    };
    expect(Object.keys(template.Resources).length).toBeGreaterThan(5);
    const open = findings
      .get(name)!
      .filter(
        (f) =>
          !NOT_KEYGATE.some(
            (n) =>
              n.template === name &&
              n.rule === f.Rule.Id &&
              f.Location.Path[0] === 'Resources' &&
              n.resource.test(String(f.Location.Path[1])),
          ),
      );
    expect(open.map(describeFinding)).toEqual([]);
  });

  test('the consumer app findings left to the consumer are exactly the listed ones', () => {
    const consumer = findings.get('readme-consumer-app')!;
    expect(consumer.map((f) => `${f.Rule.Id} ${String(f.Location.Path[1])}`)).toEqual([
      expect.stringMatching(/^W3005 Orders[0-9A-F]{8}$/),
    ]);
  });

  test('acknowledgements: only W3005, only on Lambda functions', () => {
    const acknowledged = new Map<string, Set<string>>();
    for (const t of templates.values()) {
      const template = JSON.parse(fs.readFileSync(t.file, 'utf8')) as {
        Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
      };
      for (const resource of Object.values(template.Resources)) {
        const meta = resource.Metadata?.['cfn-lint'] as { config?: { ignore_checks?: string[] } } | undefined;
        for (const rule of meta?.config?.ignore_checks ?? []) {
          if (!acknowledged.has(rule)) acknowledged.set(rule, new Set());
          acknowledged.get(rule)!.add(resource.Type);
        }
      }
    }
    expect(Object.fromEntries([...acknowledged].map(([k, v]) => [k, [...v]]))).toEqual({
      W3005: ['AWS::Lambda::Function'],
    });
  });
});
