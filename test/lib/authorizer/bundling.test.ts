import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { LAMBDA_ENTRIES } from '../../../lib/internal/lambda-entries';
import { encodeConfigForEnv } from '../../../lib/authorizer/config-env';
import {
  AUTHORIZER_BUNDLE_OPTIONS,
  AUTHORIZER_ENTRY,
  AUTHORIZER_SESSION_ENTRY,
  AUTHORIZER_SESSION_MODULE,
  AUTHORIZER_DPOP_ENTRY,
  AUTHORIZER_DPOP_MODULE,
} from '../../../scripts/authorizer-bundle-options';
import { esbuildOptions } from '../../../scripts/build-lambdas';

describe('authorizer bundle', () => {
  test('is built exactly as the benchmark measures it (the benchmark reads the build definition)', () => {
    // GIVEN the package build's esbuild options for the authorizer and the benchmark's
    const built = esbuildOptions('authorizer', '/root', '/out');
    const bench = AUTHORIZER_BUNDLE_OPTIONS;
    // THEN they agree field by field
    expect(LAMBDA_ENTRIES.authorizer.source).toBe(AUTHORIZER_ENTRY);
    // and the session module is its own entry, left out of index.js by name
    expect(LAMBDA_ENTRIES.authorizer.modules).toEqual({
      binding: 'lambda/authorizer/binding.ts',
      cognito: 'lambda/authorizer/cognito.ts',
      'config-checks': 'lambda/authorizer/config-checks.ts',
      'cookie-csrf': 'lambda/authorizer/cookie-csrf.ts',
      session: AUTHORIZER_SESSION_ENTRY,
      'dpop-jose': AUTHORIZER_DPOP_ENTRY,
      revocation: 'lambda/authorizer/revocation.ts',
      'route-checks': 'lambda/authorizer/route-checks.ts',
      'step-up': 'lambda/authorizer/step-up.ts',
      usage: 'lambda/authorizer/usage.ts',
    });
    // the deferred ones, with the files of checks their entry re-exports
    expect(LAMBDA_ENTRIES.authorizer.deferred).toEqual({
      cognito: ['common/cognito-issuer.ts', 'lambda/authorizer/cognito-claims.ts'],
      'config-checks': ['common/config-checks.ts'],
      'cookie-csrf': [],
      'route-checks': ['common/route-reach.ts', 'common/route-table-checks.ts'],
      'step-up': ['common/step-up-checks.ts'],
    });
    expect(bench.externalModules).toContain(AUTHORIZER_SESSION_MODULE);
    expect(bench.externalModules).toContain(AUTHORIZER_DPOP_MODULE);
    // every further module is left out of index.js by the name its loader requires it by
    expect(bench.externalModules).toEqual([
      '@aws-sdk/*',
      './binding.js',
      './cognito.js',
      './config-checks.js',
      './cookie-csrf.js',
      './dpop-jose.js',
      './revocation.js',
      './route-checks.js',
      './session.js',
      './step-up.js',
      './usage.js',
    ]);
    expect(built.entryPoints).toEqual([
      { in: `/root/${AUTHORIZER_ENTRY}`, out: 'index' },
      { in: '/root/lambda/authorizer/binding.ts', out: 'binding' },
      { in: '/root/lambda/authorizer/cognito.ts', out: 'cognito' },
      { in: '/root/lambda/authorizer/config-checks.ts', out: 'config-checks' },
      { in: '/root/lambda/authorizer/cookie-csrf.ts', out: 'cookie-csrf' },
      { in: `/root/${AUTHORIZER_DPOP_ENTRY}`, out: 'dpop-jose' },
      { in: '/root/lambda/authorizer/revocation.ts', out: 'revocation' },
      { in: '/root/lambda/authorizer/route-checks.ts', out: 'route-checks' },
      { in: `/root/${AUTHORIZER_SESSION_ENTRY}`, out: 'session' },
      { in: '/root/lambda/authorizer/step-up.ts', out: 'step-up' },
      { in: '/root/lambda/authorizer/usage.ts', out: 'usage' },
    ]);
    expect(built).toMatchObject({
      minify: bench.minify,
      format: bench.format,
      target: bench.target,
      platform: bench.platform,
      mainFields: [...bench.mainFields],
      external: [...bench.externalModules],
      sourcemap: true,
    });
    // and both turn imports of the deferred modules' files into stubs (scripts/bundle-deferred-modules.ts)
    expect(built.plugins?.map((p) => p.name)).toEqual(['keygate-deferred-modules']);
    expect(bench.plugins.map((p) => p.name)).toEqual(['keygate-deferred-modules']);
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
