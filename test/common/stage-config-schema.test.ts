import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it, test } from 'vitest';
import type { KeygateAppConfig, StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { validateAppConfig, validateStageConfig } from '../../common/app-config-validate';
import {
  AppConfigSchema,
  block,
  fieldsOf,
  StageSchema,
  validateStageBlocks,
} from '../../common/stage-config-schema';
import {
  CONFIG_DOCS_PATH,
  JSON_SCHEMA_PATH,
  renderJsonSchema,
  updateConfigDocs,
} from '../../scripts/config-reference';

const root = resolve(__dirname, '../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');
const dev = DEFAULT_APP_CONFIG.stages.dev;

describe('generated from the stage configuration schema', () => {
  test('the checked-in JSON Schema is current (npm run docs:config)', async () => {
    expect(read(JSON_SCHEMA_PATH)).toBe(await renderJsonSchema());
  });

  test('the field tables of docs/configuration.md are current (npm run docs:config)', () => {
    const docs = read(CONFIG_DOCS_PATH);
    expect(updateConfigDocs(docs)).toBe(docs);
  });

  test('the JSON Schema ships in the npm package', () => {
    const pkg = JSON.parse(read('package.json')) as { files: string[] };
    expect(pkg.files).toContain('schema/*.json');
  });

  test("the repository's cdk.json names the JSON Schema", () => {
    expect((JSON.parse(read('cdk.json')) as { $schema?: string }).$schema).toBe(`./${JSON_SCHEMA_PATH}`);
  });
});

describe('StageSchema', () => {
  test('accepts the embedded default configuration', () => {
    expect(v.safeParse(AppConfigSchema, DEFAULT_APP_CONFIG).issues).toBeUndefined();
  });

  test("accepts the configuration reference's example cdk.json", () => {
    const example = /```json\n([\s\S]*?)\n```/.exec(read(CONFIG_DOCS_PATH))![1];
    const keygate = (JSON.parse(example) as { context: { keygate: unknown } }).context.keygate;
    expect(validateAppConfig(keygate).ok).toBe(true);
    expect(v.safeParse(AppConfigSchema, keygate).issues).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['the stage', { ...dev, colour: 'blue' }, 'colour'],
    ['keycloak', { ...dev, keycloak: { ...dev.keycloak, realm: 'x' } }, 'keycloak.realm'],
    ['a model', { ...dev, models: [{ ...dev.models[0], size: 1 }] }, 'models[0].size'],
    ['a route', { ...dev, routes: [{ ...dev.routes[0], cache: true }] }, 'routes[0].cache'],
    ['authorizer', { ...dev, authorizer: { ttl: 1 } }, 'authorizer.ttl'],
  ])('refuses an unknown field of %s in the schema and at synth alike', (_, stage, field) => {
    // GIVEN a stage with one field neither knows WHEN both check it THEN both name that field.
    const issues = v.safeParse(StageSchema, stage).issues ?? [];
    expect(issues.map((i) => v.getDotPath(i))).toEqual([field.replace(/\[(\d+)\]/g, '.$1')]);
    const errors = validateStageConfig(stage, 'stage');
    expect(errors.filter((e) => e.startsWith(`stage.${field} is not a known field (`))).toHaveLength(1);
  });

  test('the synth-time validator knows exactly the fields the schema declares', () => {
    const unknown = validateStageConfig({ ...dev, x: 1 }, 'stage').find((e) => e.startsWith('stage.x '));
    expect(unknown).toBe(`stage.x is not a known field (${fieldsOf(StageSchema).join(', ')})`);
  });

  test('its output is a StageConfig and it declares every StageConfig field', () => {
    expectTypeOf<v.InferOutput<typeof StageSchema>>().toExtend<StageConfig>();
    expectTypeOf<v.InferOutput<typeof AppConfigSchema>>().toExtend<KeygateAppConfig>();
    expectTypeOf<keyof v.InferOutput<typeof StageSchema>>().toEqualTypeOf<keyof StageConfig>();
  });
});

describe('configuration blocks', () => {
  const TokenBindingShape = v.strictObject({ mode: v.picklist(['dpop', 'mtls']) });
  const validateTokenBinding = (value: unknown, at: string, stage: Readonly<Record<string, unknown>>) => {
    const mode = (value as { mode?: unknown }).mode;
    const errors = mode === 'dpop' || mode === 'mtls' ? [] : [`${at}.mode must be 'dpop' or 'mtls'`];
    if (mode === 'mtls' && (stage.apis as { rest?: boolean } | undefined)?.rest === false)
      errors.push(`${at}.mode: mtls needs the REST API`);
    return errors;
  };
  const entries = {
    ...StageSchema.entries,
    tokenBinding: block(TokenBindingShape, validateTokenBinding, 'binding of access tokens'),
  };

  test("a block's validator runs on its value with the field's path and the stage", () => {
    expect(validateStageBlocks({ ...dev, tokenBinding: { mode: 'x' } }, 'stage', entries)).toEqual([
      "stage.tokenBinding.mode must be 'dpop' or 'mtls'",
    ]);
    expect(
      validateStageBlocks(
        // Without the default stage's usage tiers, which need the REST API too.
        { ...dev, usageTiers: undefined, apis: { rest: false }, tokenBinding: { mode: 'mtls' } },
        'stage',
        entries,
      ),
    ).toEqual(['stage.tokenBinding.mode: mtls needs the REST API']);
  });

  test('an absent block is not validated', () => {
    expect(validateStageBlocks({ ...dev }, 'stage', entries)).toEqual([]);
  });

  test("a block's shape joins the schema like any field", () => {
    const schema = v.strictObject(entries);
    expect(v.safeParse(schema, { ...dev, tokenBinding: { mode: 'dpop' } }).success).toBe(true);
    expect(v.safeParse(schema, { ...dev, tokenBinding: { mode: 'x' } }).success).toBe(false);
  });
});
