import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { AUTHORIZER_BUNDLE_OPTIONS, AUTHORIZER_ENTRY } from '../../../scripts/authorizer-bundle-options';
import {
  AUTHORIZER_BUNDLING,
  AUTHORIZER_ENTRY as CONSTRUCT_ENTRY,
  PROJECT_ROOT,
} from '../../../lib/authorizer/bundling';
import { encodeConfigForEnv } from '../../../lib/authorizer/config-env';

describe('authorizer bundling', () => {
  test('bundles exactly as the benchmark measures', () => {
    // GIVEN the benchmark's options and the construct's
    const b = AUTHORIZER_BUNDLE_OPTIONS;
    // THEN they agree field by field
    expect(CONSTRUCT_ENTRY).toBe(`${PROJECT_ROOT}/${AUTHORIZER_ENTRY}`);
    expect(AUTHORIZER_BUNDLING).toMatchObject({
      minify: b.minify,
      format: b.format,
      target: b.target,
      mainFields: [...b.mainFields],
      externalModules: [...b.externalModules],
    });
  });

  test('never needs Docker', () => {
    expect(AUTHORIZER_BUNDLING.forceDockerBundling).toBe(false);
    expect(AUTHORIZER_BUNDLING.sourceMap).toBe(true);
  });
});

describe('encodeConfigForEnv', () => {
  test('keeps a small configuration as plain JSON', () => {
    expect(encodeConfigForEnv('{"version":1}', 100)).toBe('{"version":1}');
  });

  test('gzips a large configuration and the runtime can inflate it', () => {
    // GIVEN a repetitive JSON larger than the budget
    const json = JSON.stringify({
      routes: Array.from({ length: 200 }, (_, i) => ({ path: `/r/${i}`, auth: 'keycloak' })),
    });
    // WHEN
    const encoded = encodeConfigForEnv(json, 2000)!;
    // THEN
    expect(encoded.startsWith('gz:')).toBe(true);
    expect(encoded.length).toBeLessThanOrEqual(2000);
    expect(gunzipSync(Buffer.from(encoded.slice(3), 'base64')).toString()).toBe(json);
  });

  test('is deterministic, so templates do not change between syntheses', () => {
    const json = JSON.stringify({ data: 'x'.repeat(5000) });
    expect(encodeConfigForEnv(json, 1000)).toBe(encodeConfigForEnv(json, 1000));
  });

  test('reports a configuration that does not fit even compressed', () => {
    const random = Array.from({ length: 4000 }, (_, i) => ((i * 7919) % 97).toString(36)).join('');
    expect(encodeConfigForEnv(random, 100)).toBeUndefined();
  });
});
