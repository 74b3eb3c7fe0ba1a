import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { selectStage } from '../../common/app-config-validate';
import { loadStage } from '../../cli/stage';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const prod = { ...dev, account: '111122223333' };

describe('loadStage: the tools choose the stage as cdk synth does', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  /** A folder whose cdk.json carries `keygate`. */
  const appWith = (keygate: unknown) => {
    const d = mkdtempSync(join(tmpdir(), 'keygate-stage-'));
    dirs.push(d);
    writeFileSync(join(d, 'cdk.json'), JSON.stringify({ app: 'x', context: { keygate } }));
    return d;
  };

  test('without --stage, the defaultStage of cdk.json', () => {
    const keygate = { defaultStage: 'prod', stages: { dev, prod } };
    expect(loadStage({}, appWith(keygate)).name).toBe('prod');
    expect(selectStage(keygate, undefined)).toMatchObject({ ok: true, name: 'prod' });
  });

  test('several stages and no defaultStage: an error asking for --stage, never a guess', () => {
    expect(() => loadStage({}, appWith({ stages: { dev, prod } }))).toThrow(
      'the configuration is not valid:\n  keygate has several stages and no defaultStage: choose one with --stage <name> (dev, prod)',
    );
  });

  test('every stage is validated, not only the chosen one', () => {
    const cwd = appWith({ defaultStage: 'dev', stages: { dev, prod: { ...prod, region: 'mars' } } });
    expect(() => loadStage({ stage: 'dev' }, cwd)).toThrow(
      'the configuration is not valid:\n  keygate.stages.prod.region must be an AWS region such as eu-west-1',
    );
  });

  test('a --config file names its fields from the top', () => {
    const d = appWith({});
    const file = join(d, 'config.json');
    writeFileSync(file, JSON.stringify({ stages: { dev: { ...dev, region: 'mars' } } }));
    expect(() => loadStage({ config: file }, d)).toThrow(
      'the configuration is not valid:\n  stages.dev.region must be an AWS region such as eu-west-1',
    );
  });

  test('without cdk.json context, the embedded default and its defaultStage', () => {
    const d = mkdtempSync(join(tmpdir(), 'keygate-stage-'));
    dirs.push(d);
    expect(loadStage({}, d)).toEqual({ name: 'dev', stage: dev });
  });
});
