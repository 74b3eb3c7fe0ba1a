/**
 * The README's example app written in Python (test/languages/python-app/app.py), run in the virtual
 * environment `npm run python-app:venv` creates from the wheel jsii-pacmak built, synthesizes the same
 * CloudFormation template as the TypeScript app the README shows, asset hashes aside.
 *
 * Not part of `npm test` (it needs the built wheel and the venv): `npm run test:languages` builds both and
 * runs this file.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_APP_DIR, VENV_PYTHON } from '../../scripts/python-app-venv';
import { readmeExample } from '../package/consumer-app';
import { normalizeHashes } from '../support/normalize-hashes';

const ROOT = path.resolve(__dirname, '..', '..');

interface Template {
  readonly Resources: Record<string, { readonly Type: string }>;
}

function synth(command: string, args: string[], outdir: string): Template {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CDK_OUTDIR: outdir, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return JSON.parse(fs.readFileSync(path.join(outdir, 'Orders.template.json'), 'utf8')) as Template;
}

function countByType(template: Template): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of Object.values(template.Resources)) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  return counts;
}

describe('the README example app in Python', () => {
  let work: string;
  let typescript: Template;
  let python: Template;

  beforeAll(() => {
    if (!fs.existsSync(VENV_PYTHON)) throw new Error('no .venv-python-app: run `npm run test:languages`');
    // Inside the checkout (git-ignored tmp/), so the TypeScript app resolves aws-cdk-lib from node_modules.
    fs.mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
    work = fs.mkdtempSync(path.join(ROOT, 'tmp', 'languages-'));

    // GIVEN the README's TypeScript app, importing the constructs from this checkout's sources
    const { appTs } = readmeExample(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
    const fromSources = appTs.replace("from 'keygate';", `from '${path.join(ROOT, 'lib', 'index')}';`);
    expect(fromSources).not.toBe(appTs);
    const appFile = path.join(work, 'app.ts');
    fs.writeFileSync(appFile, fromSources);

    // WHEN both apps are synthesized
    typescript = synth(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [appFile], path.join(work, 'ts.out'));
    python = synth(VENV_PYTHON, [path.join(PYTHON_APP_DIR, 'app.py')], path.join(work, 'py.out'));
  }, 300_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('synthesizes the two APIs, their authorizer and the backend', () => {
    expect(countByType(python)).toMatchObject({
      'AWS::ApiGatewayV2::Api': 1,
      'AWS::ApiGatewayV2::Authorizer': 1,
      'AWS::ApiGatewayV2::Route': 1,
      'AWS::ApiGateway::RestApi': 1,
      'AWS::ApiGateway::Authorizer': 1,
      'AWS::ApiGateway::Method': 1,
      'AWS::Lambda::Function': 2,
    });
  });

  it('synthesizes the template of the TypeScript app, asset hashes aside', () => {
    expect(normalizeHashes(python)).toEqual(normalizeHashes(typescript));
  });
});
