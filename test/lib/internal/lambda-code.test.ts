import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionFromBundle, keygateFunction, resolveLambdaCode } from '../../../lib/internal/lambda-code';
import { lambdaAssetDir, lambdaBuildRecord, lambdaBundleFiles } from '../../../lib/internal/lambda-entries';
import { PACKAGE_ROOT, buildLambdas } from '../../../scripts/build-lambdas';
import { bundleFiles } from '../../support/bundle-files';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A package root with a fake authorizer bundle (`bundle`: which of its files; all by default), its source
 * and a build record of that source.
 */
/** The authorizer's bundle files without one. */
const allBut = (missing: string): string[] => lambdaBundleFiles('authorizer').filter((f) => f !== missing);

function fakeRoot(
  options: { source?: string; record?: boolean; bundle?: readonly string[] | false } = {},
): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-root-'));
  fs.writeFileSync(path.join(root, 'package.json'), '{}');
  const source = options.source ?? 'export const handler = async () => ({});\n';
  const files = options.bundle === false ? [] : (options.bundle ?? lambdaBundleFiles('authorizer'));
  fs.mkdirSync(path.join(root, lambdaAssetDir('authorizer')), { recursive: true });
  for (const file of files) {
    fs.writeFileSync(path.join(root, lambdaAssetDir('authorizer'), file), 'exports.handler = 1;');
  }
  if (options.source !== undefined || options.record) {
    fs.mkdirSync(path.join(root, 'lambda', 'authorizer'), { recursive: true });
    fs.writeFileSync(path.join(root, 'lambda', 'authorizer', 'index.ts'), source);
  }
  if (options.record) {
    fs.mkdirSync(path.join(root, 'assets', '.build'), { recursive: true });
    fs.writeFileSync(
      path.join(root, lambdaBuildRecord('authorizer')),
      JSON.stringify({ inputs: { 'lambda/authorizer/index.ts': sha256(source) } }),
    );
  }
  return root;
}

describe('keygateFunction', () => {
  const roots: string[] = [];
  let outdir: string;
  let template: Template;
  let stagedAsset: string;

  beforeAll(async () => {
    await buildLambdas();
    // GIVEN a stack with the authorizer function from its prebuilt bundle
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-cdk-out-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Stack');
    keygateFunction(stack, 'Authorizer', {
      entry: 'authorizer',
      memorySize: 384,
      timeout: Duration.seconds(7),
      description: 'test function',
      environment: { A: 'b' },
    });
    // WHEN it is synthesized
    const assembly = app.synth();
    template = Template.fromStack(stack);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(assembly.directory, 'Stack.assets.json'), 'utf8'),
    ) as { files: Record<string, { source: { path: string } }> };
    const [code] = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (r) => (r as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key,
    );
    stagedAsset = path.join(assembly.directory, manifest.files[code.replace(/\.zip$/, '')].source.path);
  });

  afterAll(() => {
    for (const dir of [outdir, ...roots]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs index.handler on Node.js 22 on arm64, with the options given', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 384,
      Timeout: 7,
      Description: 'test function',
      Environment: { Variables: { A: 'b' } },
    });
  });

  it('deploys the prebuilt bundle directory as it is', () => {
    const bundle = path.join(PACKAGE_ROOT, lambdaAssetDir('authorizer'));
    // The authorizer's file list is pinned once, in test/scripts/build-lambdas.test.ts.
    const files = bundleFiles('authorizer');
    expect(fs.readdirSync(stagedAsset).sort()).toEqual(files);
    for (const file of files) {
      expect(
        fs.readFileSync(path.join(stagedAsset, file)).equals(fs.readFileSync(path.join(bundle, file))),
      ).toBe(true);
    }
  });

  it('reports no stale bundle right after a build', () => {
    expect(resolveLambdaCode('authorizer').staleInputs).toEqual([]);
  });

  it('fails synthesis with an error naming the build command when the bundle is older than its sources', () => {
    const stack = new Stack(new App(), 'Stack');
    functionFromBundle(
      stack,
      'Fn',
      { entry: 'authorizer' },
      {
        dir: path.join(PACKAGE_ROOT, lambdaAssetDir('authorizer')),
        staleInputs: ['lambda/authorizer/handler.ts'],
      },
    );
    Annotations.fromStack(stack).hasError(
      '/Stack/Fn',
      Match.stringLikeRegexp(
        "The 'authorizer' Lambda bundle is older than its sources \\(lambda/authorizer/handler.ts\\); run `npm run build:lambdas`",
      ),
    );
  });

  it.each([
    ['the bundle is missing', false, 'index.js'],
    ['the session module is missing', allBut('session.js'), 'session.js'],
    ['the DPoP module is missing', allBut('dpop-jose.js'), 'dpop-jose.js'],
    ['the token-binding module is missing', allBut('binding.js'), 'binding.js'],
    ['the revocation module is missing', allBut('revocation.js'), 'revocation.js'],
    ['the usage-key module is missing', allBut('usage.js'), 'usage.js'],
    ['the Cognito module is missing', allBut('cognito.js'), 'cognito.js'],
    ['the step-up module is missing', allBut('step-up.js'), 'step-up.js'],
  ] as const)('throws, naming the file and the build command, when %s', (_, bundle, file) => {
    const root = fakeRoot({ bundle });
    roots.push(root);
    expect(() => resolveLambdaCode('authorizer', root)).toThrow(
      `keygateFunction: the prebuilt 'authorizer' Lambda bundle is missing (${path.join(root, 'assets', 'lambda', 'authorizer', file)}); run \`npm run build:lambdas\` in the Keygate source tree (published packages ship it)`,
    );
  });

  it('rejects an entry that is not in the list', () => {
    expect(() => resolveLambdaCode('nope' as 'authorizer', PACKAGE_ROOT)).toThrow(
      "keygateFunction: entry must be one of authorizer, back-channel-logout, models, pre-token-generation, sign-in, got 'nope'",
    );
  });

  it.each([
    ['a published package (no sources)', {}, false, []],
    ['a source checkout built from these sources', { record: true }, false, []],
    [
      'a source checkout whose source changed after the build',
      { record: true },
      true,
      ['lambda/authorizer/index.ts'],
    ],
    ['a source checkout without a build record', { source: 'x' }, false, ['assets/.build/authorizer.json']],
  ])('finds stale inputs in %s', (_, options, edit, expected) => {
    const root = fakeRoot(options);
    roots.push(root);
    if (edit) fs.appendFileSync(path.join(root, 'lambda', 'authorizer', 'index.ts'), '// changed\n');
    const resolved = resolveLambdaCode('authorizer', root);
    expect(resolved.dir).toBe(path.join(root, 'assets', 'lambda', 'authorizer'));
    expect(resolved.staleInputs).toEqual(expected);
  });
});
