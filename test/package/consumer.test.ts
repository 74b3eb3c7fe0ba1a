/**
 * The package as a consumer gets it: built from a copy of the sources, packed with `npm pack`, installed
 * offline into a new CDK app in a temporary folder (the tarball, plus links to the aws-cdk-lib and
 * constructs already installed here), type-checked against the shipped .d.ts files and synthesized where
 * esbuild cannot be found and Docker is absent, so nothing can be bundled at synth time.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSUMER_TSCONFIG,
  ESBUILD_PROBE_CJS,
  EVERY_FUNCTION_APP_TS,
  LOCAL_CLIENT_TS,
  SHOP_APP_TS,
  readmeExample,
} from './consumer-app';
import { bundleFiles } from '../support/bundle-files';

const ROOT = path.resolve(__dirname, '..', '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const EXAMPLE = readmeExample(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));

/** What the package build reads; copied so the build never touches this checkout's dist/ or assets/. */
const BUILD_INPUTS = [
  'package.json',
  'tsconfig.jsii.json',
  'README.md',
  'API.md',
  'CHANGELOG.md',
  'LICENSE',
  'lib',
  'common',
  'lambda',
  'client',
  'local',
  'realm',
  'cli',
  'schema',
  'scripts/build-lambdas.ts',
  'scripts/bundle-deferred-modules.ts',
  'scripts/build-library.ts',
  'scripts/build-local.ts',
];

/** Every file the tarball may hold; each pattern must match at least one file. */
const SHIPPED = [
  /^package\.json$/,
  /^README\.md$/,
  /^API\.md$/,
  /^CHANGELOG\.md$/,
  /^LICENSE$/,
  /^\.jsii$/,
  /^dist\/lib\/(?:[a-z0-9-]+\/)*[a-z0-9-]+\.(?:js|d\.ts)$/,
  /^dist\/common\/(?:[a-z0-9-]+\/)?[a-z0-9-]+\.(?:js|d\.ts)$/,
  /^assets\/lambda\/[a-z0-9-]+\/index\.js(?:\.map)?$/,
  /^assets\/lambda\/authorizer\/(?:session|dpop-jose|binding|revocation|usage|cognito|config-checks|cookie-csrf|step-up|route-checks)\.js(?:\.map)?$/,
  /^dist\/keygate-call\.cjs$/,
  /^client\/bin\/keygate-call\.js$/,
  /^dist\/local\/index\.(?:cjs|d\.ts)$/,
  /^dist\/local\/index\.cjs\.LEGAL\.txt$/,
  /^local\/bin\/keygate\.js$/,
  /^schema\/keygate-cdk-json\.schema\.json$/,
];

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
}

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Run {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return {
    status: result.status,
    stdout: result.stdout ?? '',
    stderr: `${result.stderr ?? ''}${result.error ?? ''}`,
  };
}

function mustRun(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const result = run(command, args, cwd, env);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/**
 * The consumer's environment: no NODE_PATH or NODE_OPTIONS, and a PATH without node_modules/.bin folders
 * or any folder holding an `esbuild` command.
 */
function consumerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_PATH' || key === 'NODE_OPTIONS' || key.startsWith('npm_') || key.startsWith('VITEST'))
      continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !dir.includes('node_modules') && !fs.existsSync(path.join(dir, 'esbuild')))
    .join(path.delimiter);
  return env;
}

/**
 * Links packages installed here, and the dependencies npm hoisted out of them, into `nodeModules`, as
 * npm would have laid them out. Dependencies nested inside a package come along through its link.
 */
function linkInstalled(names: string[], nodeModules: string): void {
  const linked = new Set<string>();
  const visited = new Set<string>();
  const visit = (dir: string, top: string): void => {
    if (visited.has(dir)) return;
    visited.add(dir);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      let nested: string | undefined;
      for (let at = dir; at.startsWith(top); at = path.dirname(at)) {
        const candidate = path.join(at, 'node_modules', dep);
        if (fs.existsSync(candidate)) {
          nested = candidate;
          break;
        }
      }
      if (nested) visit(nested, top);
      else if (fs.existsSync(path.join(NODE_MODULES, dep))) link(dep);
    }
  };
  const link = (name: string): void => {
    if (linked.has(name)) return;
    linked.add(name);
    const target = path.join(NODE_MODULES, name);
    fs.mkdirSync(path.dirname(path.join(nodeModules, name)), { recursive: true });
    fs.symlinkSync(target, path.join(nodeModules, name), 'dir');
    visit(target, target);
  };
  for (const name of names) link(name);
  if (linked.has('esbuild')) throw new Error(`esbuild came in as a dependency of ${names.join(', ')}`);
}

/**
 * Links packages installed here into `nodeModules` with their commands in `.bin`, as `npm install` would
 * lay them out; their own dependencies resolve from where they are installed here.
 */
function linkBinaries(names: string[], nodeModules: string): void {
  fs.mkdirSync(path.join(nodeModules, '.bin'), { recursive: true });
  for (const name of names) {
    const target = path.join(NODE_MODULES, name);
    fs.symlinkSync(target, path.join(nodeModules, name), 'dir');
    const manifest = JSON.parse(fs.readFileSync(path.join(target, 'package.json'), 'utf8')) as {
      bin?: string | Record<string, string>;
    };
    const bins = typeof manifest.bin === 'string' ? { [name]: manifest.bin } : (manifest.bin ?? {});
    for (const [command, file] of Object.entries(bins)) {
      fs.symlinkSync(path.join(target, file), path.join(nodeModules, '.bin', command));
    }
  }
}

/** Every `{ "Fn::GetAtt": [id, 'Arn'] }` and `{ Ref: id }` target below a value. */
function referencedIds(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') into.add(getAtt[0]);
    if (typeof record.Ref === 'string') into.add(record.Ref);
    for (const item of Object.values(record)) referencedIds(item, into);
  }
  return into;
}

function listFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    files[name] = fs.readFileSync(path.join(dir, name)).toString('base64');
  }
  return files;
}

describe('the published package in a consumer CDK app', () => {
  let work: string;
  let sourceDir: string;
  let appDir: string;
  let packedFiles: string[];
  let probe: { fromApp: string | null; fromAwsCdkLib: string | null; command: string | null };
  let synth: Run;
  let everySynth: Run;
  let cli: Run;
  let shopSynth: Run;
  let localOrders: Run;
  let localShop: Run;
  let readmeDir: string;
  let readmeSynth: Run;
  let resources: Record<string, Resource>;
  let assetPaths: Record<string, string>;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-package-'));

    // GIVEN the package built from a copy of the sources and packed
    sourceDir = path.join(work, 'source');
    for (const input of BUILD_INPUTS) {
      if (!fs.existsSync(path.join(ROOT, input))) continue;
      fs.cpSync(path.join(ROOT, input), path.join(sourceDir, input), { recursive: true });
    }
    fs.symlinkSync(NODE_MODULES, path.join(sourceDir, 'node_modules'), 'dir');
    mustRun('npm', ['run', 'build'], sourceDir);
    const packed = JSON.parse(
      mustRun('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], sourceDir),
    ) as { filename: string; files: { path: string }[] }[];
    packedFiles = packed[0].files.map((f) => f.path).sort();

    // AND a new CDK app that installs the tarball offline, with the aws-cdk-lib and constructs installed here
    appDir = path.join(work, 'app');
    fs.mkdirSync(appDir);
    fs.writeFileSync(
      path.join(appDir, 'package.json'),
      JSON.stringify({ name: 'keygate-consumer', version: '0.0.0', private: true }),
    );
    const tarball = path.join(work, packed[0].filename);
    mustRun(
      'npm',
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        // aws-cdk-lib and constructs are linked below rather than fetched.
        '--legacy-peer-deps',
        tarball,
      ],
      appDir,
    );
    linkInstalled(['aws-cdk-lib', 'constructs', '@types/node'], path.join(appDir, 'node_modules'));
    fs.writeFileSync(path.join(appDir, 'app.ts'), EXAMPLE.appTs);
    fs.writeFileSync(path.join(appDir, 'every-function.ts'), EVERY_FUNCTION_APP_TS);
    fs.writeFileSync(path.join(appDir, 'shop.ts'), SHOP_APP_TS);
    fs.writeFileSync(path.join(appDir, 'local-client.ts'), LOCAL_CLIENT_TS);
    fs.writeFileSync(path.join(appDir, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
    fs.writeFileSync(path.join(appDir, 'probe.cjs'), ESBUILD_PROBE_CJS);
    mustRun(
      process.execPath,
      [path.join(NODE_MODULES, 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      appDir,
    );

    // WHEN it is synthesized where esbuild cannot be found. --preserve-symlinks: modules resolve from the
    // consumer's node_modules, not from the linked packages' real location next to this repo's esbuild.
    const env = consumerEnv();
    const node = [process.execPath, '--preserve-symlinks', '--preserve-symlinks-main'] as const;
    probe = JSON.parse(mustRun(node[0], [...node.slice(1), 'probe.cjs'], appDir, env)) as typeof probe;
    synth = run(node[0], [...node.slice(1), 'app.js'], appDir, {
      ...env,
      CDK_OUTDIR: path.join(appDir, 'cdk.out'),
    });
    everySynth = run(node[0], [...node.slice(1), 'every-function.js'], appDir, {
      ...env,
      CDK_OUTDIR: path.join(appDir, 'cdk.out.every'),
    });
    cli = run('npx', ['--offline', 'keygate-call', '--help'], appDir, env);
    shopSynth = run(node[0], [...node.slice(1), 'shop.js'], appDir, {
      ...env,
      CDK_OUTDIR: path.join(appDir, 'cdk.out.shop'),
    });
    // keygate/local over each assembly, called as a user's own test would
    localOrders = run(node[0], [...node.slice(1), 'local-client.js', 'cdk.out', 'orders'], appDir, env);
    localShop = run(node[0], [...node.slice(1), 'local-client.js', 'cdk.out.shop', 'shop'], appDir, env);

    // AND the README's example exactly as written (app.ts and cdk.json) in a folder of its own, with the
    // CDK CLI and tsx the README's install line adds, run by `cdk synth` through that cdk.json.
    readmeDir = path.join(work, 'readme-app');
    fs.mkdirSync(readmeDir);
    fs.writeFileSync(
      path.join(readmeDir, 'package.json'),
      JSON.stringify({ name: 'keygate-readme-app', version: '0.0.0', private: true }),
    );
    mustRun(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps', tarball],
      readmeDir,
    );
    linkBinaries(['aws-cdk-lib', 'constructs', 'aws-cdk', 'tsx'], path.join(readmeDir, 'node_modules'));
    fs.writeFileSync(path.join(readmeDir, 'app.ts'), EXAMPLE.appTs);
    fs.writeFileSync(path.join(readmeDir, 'cdk.json'), EXAMPLE.cdkJson);
    const bin = path.join(readmeDir, 'node_modules', '.bin');
    readmeSynth = run(path.join(bin, 'cdk'), ['synth', '--quiet', '--no-notices'], readmeDir, {
      ...env,
      PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${env.PATH ?? ''}`,
    });
    if (synth.status === 0) {
      const out = path.join(appDir, 'cdk.out');
      resources = (
        JSON.parse(fs.readFileSync(path.join(out, 'Orders.template.json'), 'utf8')) as {
          Resources: Record<string, Resource>;
        }
      ).Resources;
      const manifest = JSON.parse(fs.readFileSync(path.join(out, 'Orders.assets.json'), 'utf8')) as {
        files: Record<string, { source: { path: string } }>;
      };
      assetPaths = Object.fromEntries(
        Object.entries(manifest.files).map(([hash, file]) => [hash, path.join(out, file.source.path)]),
      );
    }
  }, 600_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function ofType(type: string): [string, Resource][] {
    return Object.entries(resources).filter(([, r]) => r.Type === type);
  }

  /** The function the template's Lambda authorizers invoke (exactly one). */
  function authorizerFunctionIds(): string[] {
    const authorizers = [
      ...ofType('AWS::ApiGatewayV2::Authorizer'),
      ...ofType('AWS::ApiGateway::Authorizer'),
    ];
    const ids = new Set<string>();
    for (const [, authorizer] of authorizers) {
      for (const id of referencedIds(authorizer.Properties.AuthorizerUri)) {
        if (resources[id]?.Type === 'AWS::Lambda::Function') ids.add(id);
      }
    }
    return [...ids];
  }

  it('ships exactly the compiled library, the Lambda bundles, the jsii assembly and the docs', () => {
    const unexpected = packedFiles.filter((file) => !SHIPPED.some((pattern) => pattern.test(file)));
    expect(unexpected).toEqual([]);
    const missing = SHIPPED.filter((pattern) => !packedFiles.some((file) => pattern.test(file)));
    expect(missing).toEqual([]);
    expect(packedFiles).toEqual(
      expect.arrayContaining([
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'assets/lambda/authorizer/index.js',
        'assets/lambda/authorizer/index.js.map',
        'assets/lambda/authorizer/session.js',
        'assets/lambda/authorizer/session.js.map',
        'assets/lambda/authorizer/dpop-jose.js',
        'assets/lambda/authorizer/binding.js',
        'assets/lambda/authorizer/revocation.js',
        'assets/lambda/authorizer/usage.js',
      ]),
    );
  });

  it('ships type declarations that import only aws-cdk-lib, constructs, Node.js and themselves', () => {
    const root = path.join(appDir, 'node_modules', 'keygate');
    const foreign = new Set<string>();
    const declarations = packedFiles.filter((file) => file.endsWith('.d.ts'));
    expect(declarations.length).toBeGreaterThan(10);
    for (const file of declarations) {
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      for (const match of text.matchAll(
        /(?:from|import\(|require\()\s*['"]([^'"]+)['"]|reference types="([^"]+)"/g,
      )) {
        const specifier = match[1] ?? match[2];
        const bare = specifier.replace(/^node:/, '');
        const allowed =
          specifier.startsWith('.') ||
          /^(?:aws-cdk-lib|constructs)(?:\/|$)/.test(specifier) ||
          builtinModules.includes(bare) ||
          specifier === 'node';
        if (!allowed) foreign.add(`${file}: ${specifier}`);
      }
    }
    expect([...foreign]).toEqual([]);
  });

  it('records every public property with the type its TypeScript declaration uses', () => {
    // jsii names a type by its bare name: a prop typed with a shared contract (common/) that shares its
    // name with an exported construct class is recorded as that class, and other languages would pass
    // the wrong kind of object without any error.
    const assembly = JSON.parse(fs.readFileSync(path.join(sourceDir, '.jsii'), 'utf8')) as {
      types: Record<
        string,
        { locationInModule?: { filename: string }; properties?: { name: string; type: unknown }[] }
      >;
    };
    const mismatches: string[] = [];
    let checked = 0;
    for (const [fqn, type] of Object.entries(assembly.types)) {
      if (!type.locationInModule || !type.properties) continue;
      const declaration = path.join(
        sourceDir,
        'dist',
        type.locationInModule.filename.replace(/\.ts$/, '.d.ts'),
      );
      const text = fs.readFileSync(declaration, 'utf8');
      const fromCommon = new Set<string>();
      for (const match of text.matchAll(/import(?: type)? \{([^}]*)\} from '[./]*\/common\/[^']+'/g)) {
        for (const item of match[1].split(',')) {
          const local = item
            .trim()
            .replace(/^type /, '')
            .split(/\s+as\s+/)
            .pop();
          if (local) fromCommon.add(local);
        }
      }
      for (const property of type.properties) {
        if (!JSON.stringify(property.type).includes('"keygate.')) continue;
        checked += 1;
        const declared = new RegExp(`\\b${property.name}\\??: (?:readonly )?([A-Za-z_$][\\w$]*)`).exec(text);
        if (declared && fromCommon.has(declared[1]))
          mismatches.push(`${fqn}.${property.name}: ${declared[1]}`);
      }
    }
    expect(checked).toBeGreaterThan(5);
    expect(mismatches).toEqual([]);
  });

  it('installs and synthesizes with esbuild out of reach', () => {
    expect(probe).toEqual({ fromApp: null, fromAwsCdkLib: null, command: null });
    expect(synth.stderr).not.toMatch(/esbuild|docker/i);
    expect(synth.status, synth.stderr.slice(-4000)).toBe(0);
  });

  it('deploys the authorizer from the prebuilt bundle the package ships', () => {
    const [id, ...others] = authorizerFunctionIds();
    expect(others).toEqual([]);
    const fn = resources[id].Properties;
    expect(fn).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    const hash = String((fn.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const shipped = path.join(appDir, 'node_modules', 'keygate', 'assets', 'lambda', 'authorizer');
    const uploaded = listFiles(assetPaths[hash]);
    // The authorizer's file list is pinned once, in test/scripts/build-lambdas.test.ts.
    expect(Object.keys(uploaded)).toEqual(bundleFiles('authorizer'));
    expect(uploaded).toEqual(listFiles(shipped));
    expect(uploaded).toEqual(listFiles(path.join(sourceDir, 'assets', 'lambda', 'authorizer')));
  });

  it('deploys every other Keygate function from the bundle the package ships', () => {
    // GIVEN the app with the model backend, the federated user pool and browser sign-in
    expect(everySynth.status, everySynth.stderr.slice(-4000)).toBe(0);
    const out = path.join(appDir, 'cdk.out.every');
    const template = JSON.parse(fs.readFileSync(path.join(out, 'Everything.template.json'), 'utf8')) as {
      Resources: Record<string, Resource>;
    };
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'Everything.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string } }>;
    };
    const shipped = path.join(appDir, 'node_modules', 'keygate', 'assets', 'lambda');
    const bundles = Object.fromEntries(
      fs.readdirSync(shipped).map((name) => [name, JSON.stringify(listFiles(path.join(shipped, name)))]),
    );
    // WHEN each function's uploaded code is matched against the shipped bundles
    const deployed = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => {
        const hash = String((r.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
        const uploaded = JSON.stringify(listFiles(path.join(out, manifest.files[hash].source.path)));
        const bundle =
          Object.keys(bundles).find((name) => bundles[name] === uploaded) ?? 'not a shipped bundle';
        return `${bundle} ${String(r.Properties.Runtime)} ${JSON.stringify(r.Properties.Architectures)}`;
      })
      .sort();
    // THEN each is one of them, on Node.js 22 and arm64
    expect(deployed).toEqual([
      'models nodejs22.x ["arm64"]',
      'pre-token-generation nodejs22.x ["arm64"]',
      'sign-in nodejs22.x ["arm64"]',
    ]);
  });

  it("synthesizes the README's example app exactly as written, through its cdk.json", () => {
    expect(readmeSynth.status, readmeSynth.stderr.slice(-4000)).toBe(0);
    const template = JSON.parse(
      fs.readFileSync(path.join(readmeDir, 'cdk.out', 'Orders.template.json'), 'utf8'),
    ) as { Resources: Record<string, Resource> };
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey);
    expect(routes).toEqual(['GET /orders']);
    const authorizers = Object.values(template.Resources).filter(
      (r) => r.Type === 'AWS::ApiGateway::Authorizer' || r.Type === 'AWS::ApiGatewayV2::Authorizer',
    );
    expect(authorizers).toHaveLength(2);
  });

  it('installs the keygate-call command, which runs without tsx or esbuild', () => {
    expect(cli.stderr).not.toMatch(/tsx|esbuild/i);
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/^Usage: keygate-call \[METHOD\] <url> \[options\]/);
  });

  it('protects the HTTP API route and the REST API route with that authorizer', () => {
    const [fnId] = authorizerFunctionIds();
    const invokes = (r: Resource) => referencedIds(r.Properties.AuthorizerUri).has(fnId);

    const httpAuthorizers = ofType('AWS::ApiGatewayV2::Authorizer').filter(([, r]) => invokes(r));
    expect(httpAuthorizers.map(([, r]) => r.Properties.AuthorizerType)).toEqual(['REQUEST']);
    const httpRoute = ofType('AWS::ApiGatewayV2::Route').find(
      ([, r]) => r.Properties.RouteKey === 'GET /orders',
    );
    expect(httpRoute?.[1].Properties).toMatchObject({
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: httpAuthorizers[0][0] },
    });

    const restAuthorizers = ofType('AWS::ApiGateway::Authorizer').filter(([, r]) => invokes(r));
    expect(restAuthorizers.map(([, r]) => r.Properties.Type)).toEqual(['REQUEST']);
    const ordersResources = ofType('AWS::ApiGateway::Resource')
      .filter(([, r]) => r.Properties.PathPart === 'orders')
      .map(([id]) => id);
    const restMethod = ofType('AWS::ApiGateway::Method').find(
      ([, r]) =>
        r.Properties.HttpMethod === 'GET' &&
        ordersResources.some((id) => referencedIds(r.Properties.ResourceId).has(id)),
    );
    expect(restMethod?.[1].Properties).toMatchObject({
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: restAuthorizers[0][0] },
    });
  });
  it('serves the README app with keygate/local: 401 without a token, 403 without the role, 200 with it', () => {
    expect(localOrders.status, localOrders.stderr.slice(-4000)).toBe(0);
    const out = JSON.parse(localOrders.stdout) as {
      apis: string[];
      sub: string;
      calls: [number, string][][];
    };
    expect(out.apis).toEqual([expect.stringMatching(/^http /), expect.stringMatching(/^rest /)]);
    // each API: no token, a token without orders-reader, a token with it (the backend names the caller)
    expect(
      out.calls.map((api) => api.map(([status]) => status)),
      JSON.stringify((out as { requests?: unknown }).requests),
    ).toEqual([
      [401, 403, 200],
      [401, 403, 200],
    ]);
    expect(out.calls.map((api) => JSON.parse(api[2][1]))).toEqual([{ caller: out.sub }, { caller: out.sub }]);
  });

  it("replays a cached per-model policy on a consumer's REST API, and answers 501 for its Python route", () => {
    expect(shopSynth.status, shopSynth.stderr.slice(-4000)).toBe(0);
    expect(localShop.status, localShop.stderr.slice(-4000)).toBe(0);
    const out = JSON.parse(localShop.stdout) as {
      calls: [number, string][];
      requests: [number, string, boolean][];
      routes: { method: string; path: string; auth: string; unsupported?: string }[];
    };
    expect(
      out.calls.map(([status]) => status),
      JSON.stringify(out.requests),
    ).toEqual([200, 403, 403, 501]);
    expect(JSON.parse(out.calls[0][1])).toMatchObject({ model: 'a' });
    // the second model call is refused from the cached policy of the first, without calling the authorizer
    expect(out.requests.slice(0, 2)).toEqual([
      [200, 'policy_allow', false],
      [403, 'policy_deny', true],
    ]);
    expect(out.routes.map((r) => `${r.method} ${r.path} ${r.auth}${r.unsupported ? ' 501' : ''}`)).toEqual([
      'POST /models/{modelId}/invoke keycloak',
      'GET /machine/models iam',
      'GET /report keycloak 501',
    ]);
  });

  it('installs the keygate command: `keygate local` serves the README app until its process is stopped', async () => {
    const bin = path.join(readmeDir, 'node_modules', '.bin', 'keygate');
    expect(run(bin, ['local', '--help'], readmeDir, consumerEnv()).stdout).toMatch(
      /^keygate local \[options\]/,
    );
    const child = spawn(bin, ['local'], {
      cwd: readmeDir,
      env: consumerEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 300 && !output.includes('Ctrl-C stops everything'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const urls = output.match(/http:\/\/127\.0\.0\.1:\d+/g) ?? [];
    expect(urls, errors).toHaveLength(2);
    expect((await fetch(`${urls[0]}/orders`)).status).toBe(401);
    process.kill(child.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(`${urls[0]}/orders`)).rejects.toThrow();
  }, 60_000);
});
