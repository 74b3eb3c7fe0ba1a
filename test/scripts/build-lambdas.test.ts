import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { checkedAuthorizerConfig } from '../../common/checked-authorizer-config';
import { DECISION_MESSAGE } from '../../common/decision-log';
import {
  LAMBDA_ENTRIES,
  LAMBDA_ENTRY_NAMES,
  lambdaAssetDir,
  lambdaBuildRecord,
} from '../../lib/internal/lambda-entries';
import type { BuiltLambda } from '../../scripts/build-lambdas';
import { PACKAGE_ROOT, buildLambdas } from '../../scripts/build-lambdas';
import { apigwEvent } from '../fixtures/apigw/events';
import { bundleFiles } from '../support/bundle-files';
import { config } from '../lambda/authorizer/pipeline-fixtures';

/**
 * Runs the built authorizer in a fresh process without node_modules (so without the runtime's AWS SDK):
 * `files` of the bundle in `buildDir` are copied into an empty folder and the handler answers `event`
 * under `cfg`. Reports the answer, the decision log's reasons, the configuration errors (level ERROR, on
 * stderr) and which of `modules` were loaded. The secrets extension is on a closed port.
 */
function runBuiltAuthorizer(
  buildDir: string,
  files: readonly string[],
  cfg: unknown,
  event: unknown,
  modules: readonly string[],
): { answer: string; loaded: string[]; reasons: (string | undefined)[]; errors: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-load-'));
  try {
    for (const file of files)
      fs.copyFileSync(path.join(buildDir, lambdaAssetDir('authorizer'), file), path.join(dir, file));
    const script = [
      "const { handler } = require('./index.js');",
      `handler(${JSON.stringify(event)}).then(() => 'allowed', (e) => e.message).then((answer) => {`,
      `  const loaded = ${JSON.stringify(modules)}.filter((m) =>`,
      '    Object.keys(require.cache).some((f) => f.endsWith(m)));',
      "  process.stdout.write('\\nRESULT ' + JSON.stringify({ answer, loaded }) + '\\n');",
      '});',
    ].join('\n');
    const result = spawnSync(process.execPath, ['-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        [AUTHORIZER_CONFIG_ENV]: JSON.stringify(cfg),
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '1',
      },
    });
    expect(result.status, result.stderr).toBe(0);
    const output = `${result.stdout}\n${result.stderr}`.split('\n');
    const lines = output
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message: string; reason?: string; errors?: string[] });
    const outcome = output.find((l) => l.startsWith('RESULT '));
    return {
      ...(JSON.parse(outcome?.slice('RESULT '.length) ?? 'null') as { answer: string; loaded: string[] }),
      reasons: lines.filter((l) => l.message === DECISION_MESSAGE).map((l) => l.reason),
      errors: lines.flatMap((l) => l.errors ?? []),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A package.json `files` entry as npm reads it, for the `*` and `**` it uses. */
function globPattern(glob: string): RegExp {
  const body = glob
    .split('/')
    .map((part) =>
      part === '**' ? '(?:[^/]+/)*' : `${part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}/`,
    )
    .join('')
    .replace(/\/$/, '');
  return new RegExp(`^${body}$`);
}

describe('buildLambdas', () => {
  let first: string;
  let second: string;
  let built: BuiltLambda[];
  let rebuilt: BuiltLambda[];

  beforeAll(async () => {
    // GIVEN two builds of the same sources into two folders
    first = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-bundles-'));
    second = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-bundles-'));
    // A leftover from an older build must not stay in the asset directory.
    fs.mkdirSync(path.join(second, lambdaAssetDir('authorizer')), { recursive: true });
    fs.writeFileSync(path.join(second, lambdaAssetDir('authorizer'), 'index.mjs'), 'stale');
    built = await buildLambdas({ outRoot: first });
    rebuilt = await buildLambdas({ outRoot: second });
  });

  afterAll(() => {
    for (const dir of [first, second]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('bundles every function of the entry list whose source exists, in the list order', () => {
    const present = LAMBDA_ENTRY_NAMES.filter((name) =>
      fs.existsSync(path.join(PACKAGE_ROOT, LAMBDA_ENTRIES[name].source)),
    );
    expect(present).toContain('authorizer');
    expect(built.map((b) => b.name)).toEqual(present);
  });

  it('writes exactly index.js, the further modules and their source maps per function', () => {
    expect(bundleFiles('authorizer')).toEqual([
      'binding.js',
      'binding.js.map',
      'cognito.js',
      'cognito.js.map',
      'config-checks.js',
      'config-checks.js.map',
      'cookie-csrf.js',
      'cookie-csrf.js.map',
      'dpop-jose.js',
      'dpop-jose.js.map',
      'index.js',
      'index.js.map',
      'revocation.js',
      'revocation.js.map',
      'route-checks.js',
      'route-checks.js.map',
      'session.js',
      'session.js.map',
      'step-up.js',
      'step-up.js.map',
      'usage.js',
      'usage.js.map',
    ]);
    expect(bundleFiles('sign-in')).toEqual(['index.js', 'index.js.map']);
    for (const b of rebuilt) {
      expect(fs.readdirSync(b.dir).sort()).toEqual(bundleFiles(b.name));
      expect(b.files.map((f) => f.file)).toEqual(bundleFiles(b.name));
    }
  });

  it('ships every file it builds: package.json `files` matches each bundle and source map', () => {
    const files = (
      JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
        files: string[];
      }
    ).files.map(globPattern);
    const written = built.flatMap((b) => b.files.map((f) => `${lambdaAssetDir(b.name)}/${f.file}`));
    expect(written).toHaveLength(built.reduce((n, b) => n + bundleFiles(b.name).length, 0));
    expect(written.filter((file) => !files.some((pattern) => pattern.test(file)))).toEqual([]);
  });

  it('gives byte-identical bundles for the same sources', () => {
    expect(rebuilt.map((b) => b.files)).toEqual(built.map((b) => b.files));
    for (const b of built) {
      for (const file of bundleFiles(b.name)) {
        const a = fs.readFileSync(path.join(first, lambdaAssetDir(b.name), file));
        const c = fs.readFileSync(path.join(second, lambdaAssetDir(b.name), file));
        expect(a.equals(c), `${b.name}/${file}`).toBe(true);
      }
    }
  });

  it('writes no absolute path of the build machine into a bundle or map', () => {
    const map = JSON.parse(
      fs.readFileSync(path.join(first, lambdaAssetDir('authorizer'), 'index.js.map'), 'utf8'),
    ) as { sources: string[] };
    expect(map.sources).toContain('../../../lambda/authorizer/index.ts');
    for (const b of built) {
      for (const file of bundleFiles(b.name)) {
        const text = fs.readFileSync(path.join(first, lambdaAssetDir(b.name), file), 'utf8');
        expect(text.includes(PACKAGE_ROOT), `${b.name}/${file}`).toBe(false);
        expect(text.includes(first), `${b.name}/${file}`).toBe(false);
      }
    }
  });

  it.each(
    LAMBDA_ENTRY_NAMES.filter((name) => fs.existsSync(path.join(PACKAGE_ROOT, LAMBDA_ENTRIES[name].source))),
  )('produces a CommonJS %s bundle that loads alone and exports handler', (name) => {
    // A fresh process in a folder without node_modules: the bundle must need nothing but Node.js.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-load-'));
    try {
      fs.cpSync(path.join(first, lambdaAssetDir(name)), dir, { recursive: true });
      const result = spawnSync(
        process.execPath,
        ['-e', "process.stdout.write(typeof require('./index.js').handler)"],
        { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } },
      );
      // Without its configuration a function may log that it is unconfigured; it must still load.
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe('function');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records the content hash of every input, sources and dependencies alike', () => {
    const record = JSON.parse(fs.readFileSync(path.join(first, lambdaBuildRecord('authorizer')), 'utf8')) as {
      inputs: Record<string, string>;
    };
    expect(record.inputs['lambda/authorizer/index.ts']).toMatch(/^[0-9a-f]{64}$/);
    // The session module's inputs too: a change to it makes the whole authorizer bundle stale.
    expect(record.inputs['lambda/authorizer/session.ts']).toMatch(/^[0-9a-f]{64}$/);
    expect(record.inputs['common/session/session-envelope.ts']).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(record.inputs).some((file) => file.startsWith('common/'))).toBe(true);
    // (A linked node_modules is recorded by its real path, outside the package root.)
    expect(Object.keys(record.inputs).some((file) => file.includes('node_modules/'))).toBe(true);
  });

  describe('the authorizer feature modules (token binding, revocation, usage keys, Cognito, step-up, config and route checks)', () => {
    /**
     * Runs the built authorizer in a fresh process without node_modules (so without the runtime's AWS SDK)
     * on one REST request without a token; reports the decision log's reasons, the configuration errors and
     * which feature modules were loaded. The configuration is stamped with its route table's digest, as the
     * construct renders it, unless `checked` is false (a configuration written by hand).
     */
    function coldStart(
      files: readonly string[],
      extra: Partial<AuthorizerConfig>,
      checked = true,
      cookies?: string[],
    ) {
      const cfg = checked ? checkedAuthorizerConfig(config(extra)) : config(extra);
      const event = apigwEvent('rest', { authorization: null, ...(cookies ? { cookies } : {}) });
      return runBuiltAuthorizer(first, files, cfg, event, [
        'binding.js',
        'cognito.js',
        'config-checks.js',
        'cookie-csrf.js',
        'revocation.js',
        'route-checks.js',
        'step-up.js',
        'usage.js',
      ]);
    }

    const FEATURES = {
      binding: { tokenBinding: { dpop: {} }, resultCacheTtlSeconds: 0 },
      revocation: { revocation: { boundSeconds: 30, tableName: 'revocations' }, resultCacheTtlSeconds: 0 },
      usage: { usage: { defaultTier: 'free', assignments: [], keySecrets: { free: 'arn:secret:free' } } },
      // Deferred modules: loaded with the checks of their part of the configuration, at cold start.
      cognito: {
        issuers: [
          {
            kind: 'cognito',
            userPoolId: 'eu-west-1_AbCdEf123',
            region: 'eu-west-1',
            allowedClients: ['app'],
          },
        ],
      },
      'step-up': {
        resultCacheTtlSeconds: 0,
        routes: [
          { method: 'GET', path: '/me', auth: 'keycloak', requirement: { stepUp: { maxAgeSeconds: 300 } } },
        ],
      },
    } satisfies Record<string, Partial<AuthorizerConfig>>;

    it('are left out of index.js and never loaded without their configuration', () => {
      const run = coldStart(['index.js'], {});
      expect(run).toEqual({ answer: 'Unauthorized', loaded: [], reasons: ['token_missing'], errors: [] });
    });

    it.each([
      ['binding', ['token_missing'], []],
      // The runtime's DynamoDB client is not here: the feature cannot start, one configuration error.
      ['revocation', ['config_invalid'], ['revocation: the feature could not start (MODULE_NOT_FOUND)']],
      // The key secret cannot be read (no extension here): the usage path's own reason.
      ['usage', ['usage_key_unavailable'], []],
      ['cognito', ['token_missing'], []],
      ['step-up', ['token_missing'], []],
    ] as const)('%s.js is loaded from beside index.js when configured', (name, reasons, errors) => {
      const run = coldStart(['index.js', `${name}.js`], FEATURES[name]);
      expect(run).toEqual({ answer: 'Unauthorized', loaded: [`${name}.js`], reasons, errors });
    });

    it('config-checks.js is loaded at cold start for a configuration without its digest only', () => {
      // A configuration written by hand: every check runs, from their module, with the route table's
      // whole-table checks (its policy-size bound applies whatever the result cache)
      for (const extra of [{}, { resultCacheTtlSeconds: 0 }]) {
        expect(coldStart(['index.js', 'config-checks.js', 'route-checks.js'], extra, false)).toEqual({
          answer: 'Unauthorized',
          loaded: ['config-checks.js', 'route-checks.js'],
          reasons: ['token_missing'],
          errors: [],
        });
      }
      // and missing from the asset: one configuration error, every request denied
      expect(coldStart(['index.js'], {}, false)).toEqual({
        answer: 'Unauthorized',
        loaded: [],
        reasons: ['config_invalid'],
        errors: [
          'KEYGATE_CONFIG: the config-checks module (config-checks.js) could not be loaded (MODULE_NOT_FOUND)',
        ],
      });
      expect(coldStart(['index.js', 'config-checks.js'], {}, false)).toEqual({
        answer: 'Unauthorized',
        loaded: ['config-checks.js'],
        reasons: ['config_invalid'],
        errors: [
          'KEYGATE_CONFIG: the route-checks module (route-checks.js) could not be loaded (MODULE_NOT_FOUND)',
        ],
      });
      // A configuration checked at synth is not checked again: neither module is loaded
      expect(coldStart(['index.js'], {}, true).loaded).toEqual([]);
      expect(coldStart(['index.js'], { resultCacheTtlSeconds: 0 }, true).loaded).toEqual([]);
    });

    it("cognito.js maps a Cognito token's entitlements, and names a malformed claim instead of throwing", () => {
      // The core rethrows a returned problem as its own claims_malformed error: the module's copy of the
      // error class is not the core's, so nothing may cross the bundles as an exception.
      const dir = path.join(first, lambdaAssetDir('authorizer'));
      const script = [
        "const { cognitoEntitlements } = require('./cognito.js');",
        'const out = [',
        "  cognitoEntitlements({ keygate_roles: ['r1', 'api:admin'], scope: 'a b', 'cognito:groups': ['g'] }, undefined),",
        '  cognitoEntitlements({ keygate_roles: 5 }, undefined),',
        "  cognitoEntitlements({ 'cognito:groups': 'g' }, undefined),",
        '];',
        'process.stdout.write(JSON.stringify(out));',
      ].join('\n');
      const result = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([
        { realmRoles: ['r1', 'api:admin'], clientRoles: ['api:admin'], scopes: ['a', 'b'], groups: ['g'] },
        'keygate_roles has the wrong shape',
        'cognito:groups is not a list of strings',
      ]);
    });

    it('cookie-csrf.js is loaded on the first request whose token came from a cookie', () => {
      const cookieSource = { tokenSource: { cookie: 'kg_token' }, resultCacheTtlSeconds: 0 };
      // A bearer-only request of the same authorizer does not load it
      expect(coldStart(['index.js'], cookieSource).loaded).toEqual([]);
      expect(coldStart(['index.js', 'cookie-csrf.js'], cookieSource, true, ['kg_token=abc'])).toEqual({
        answer: 'Unauthorized',
        loaded: ['cookie-csrf.js'],
        reasons: ['token_malformed'],
        errors: [],
      });
      // missing from the asset: that request is refused (fail closed), as any unexpected error is
      expect(coldStart(['index.js'], cookieSource, true, ['kg_token=abc'])).toEqual({
        answer: 'Unauthorized',
        loaded: [],
        reasons: ['internal_error'],
        errors: [],
      });
    });

    it.each([
      ['binding', 'KEYGATE_CONFIG: tokenBinding: the token-binding module (binding.js) could not be loaded'],
      ['revocation', 'KEYGATE_CONFIG: revocation: the revocation module (revocation.js) could not be loaded'],
      ['usage', 'KEYGATE_CONFIG: usage: the usage-key module (usage.js) could not be loaded'],
      ['cognito', 'KEYGATE_CONFIG: the cognito module (cognito.js) could not be loaded'],
      // A checked configuration: step-up's checks are not run again, its gate is built from step-up.js
      ['step-up', 'the step-up module (step-up.js) could not be loaded'],
    ] as const)(
      '%s.js missing from the asset: one configuration error, every request denied',
      (name, error) => {
        const run = coldStart(['index.js'], FEATURES[name]);
        expect(run).toEqual({
          answer: 'Unauthorized',
          loaded: [],
          reasons: ['config_invalid'],
          errors: [`${error} (MODULE_NOT_FOUND)`],
        });
      },
    );
  });

  describe('the authorizer session module', () => {
    /**
     * Runs the built authorizer in a fresh process without node_modules on one REST request that carries
     * a session cookie and no bearer token; reports the decision log's reasons and whether session.js was
     * loaded. The keyring is read through the secrets extension, here on a closed port. The configuration
     * is stamped with its route table's digest, as the construct renders it.
     */
    function coldStart(files: readonly string[], session: boolean) {
      const cfg = checkedAuthorizerConfig(
        config(session ? { session: { keysSecretId: 'arn:aws:secretsmanager:kg' } } : {}),
      );
      const event = apigwEvent('rest', {
        authorization: null,
        cookies: ['__Host-keygate_session=v1.k1.aaaa.bbbb'],
      });
      const run = runBuiltAuthorizer(first, files, cfg, event, ['session.js']);
      return { ...run, loaded: run.loaded.length > 0 };
    }

    it('is left out of index.js and never loaded without a session configuration', () => {
      const run = coldStart(['index.js'], false);
      expect(run).toEqual({ answer: 'Unauthorized', loaded: false, reasons: ['token_missing'], errors: [] });
    });

    it('is loaded from beside index.js when the configuration has session, and opens the cookie', () => {
      // The keyring cannot be read (no extension here): the session path's own reason, not token_missing.
      const run = coldStart(['index.js', 'session.js'], true);
      expect(run).toEqual({
        answer: 'Unauthorized',
        loaded: true,
        reasons: ['session_keys_unavailable'],
        errors: [],
      });
    });

    it('missing from the asset: one configuration error at cold start, every request denied', () => {
      const run = coldStart(['index.js'], true);
      expect(run).toEqual({
        answer: 'Unauthorized',
        loaded: false,
        reasons: ['config_invalid'],
        errors: [
          'KEYGATE_CONFIG: session: the session module (session.js) could not be loaded (MODULE_NOT_FOUND)',
        ],
      });
    });
  });
});
