/**
 * The esbuild plugin behind a function's deferred modules (lib/internal/lambda-entries.ts `deferred`):
 * the sources import a deferred file like any other, and in the bundle every such import, from any file
 * outside the module, is a stub whose functions `require('./<name>.js')` on their first call. The module
 * itself is bundled on its own from its entry (an entry point of the same build), which re-exports the
 * files listed for it.
 *
 * A stub forwards each export by name, so a deferred file exports functions only. A module that cannot be
 * loaded (missing from the asset) throws one error naming it, which the caller turns into a configuration
 * error (lambda/authorizer/load-config.ts): every request is then denied, the container never crashes.
 */
import * as path from 'node:path';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { MODULE_LOAD_ERROR_NAME } from '../lambda/authorizer/errors';

const NAMESPACE = 'keygate-deferred';
/** One loader per module, shared by the stubs of its files. */
const LOADER_NAMESPACE = 'keygate-deferred-loader';

interface Target {
  /** The module's name: its bundle is `./<name>.js`. */
  readonly name: string;
  /** The file whose exports the stub forwards. */
  readonly file: string;
  /** The module's own files (entry and listed files): imports between them stay real. */
  readonly own: ReadonlySet<string>;
}

/** A source path without its extension, the key imports are matched by (`./x`, `./x.ts`, `./x.js`). */
function key(file: string): string {
  return file.replace(/\.[cm]?[jt]s$/, '');
}

/**
 * @param root the package root the paths of `modules` and `deferred` are relative to
 * @param modules the function's further modules, by name (entry source of each)
 * @param deferred the deferred modules, by name, with the files their entry re-exports
 */
export function deferredModulesPlugin(
  root: string,
  modules: { readonly [name: string]: string },
  deferred: { readonly [name: string]: readonly string[] },
): Plugin {
  const targets = new Map<string, Target>();
  for (const [name, files] of Object.entries(deferred)) {
    const entry = modules[name];
    if (entry === undefined)
      throw new Error(`deferred module '${name}' is not one of the function's modules`);
    const all = [entry, ...files].map((f) => key(path.join(root, f)));
    for (const file of all) targets.set(file, { name, file, own: new Set(all) });
  }
  const exportsOf = new Map<string, Promise<string[]>>();
  return {
    name: 'keygate-deferred-modules',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.kind === 'entry-point' || args.namespace !== 'file') return undefined;
        const target = targets.get(key(path.resolve(args.resolveDir, args.path)));
        if (target === undefined || target.own.has(key(args.importer))) return undefined;
        // Named relative to the package root: no path of the build machine in the bundle or its map.
        return { path: path.relative(root, target.file), namespace: NAMESPACE, pluginData: target };
      });
      b.onResolve({ filter: /^keygate-deferred-loader:/ }, (args) => ({
        path: args.path.slice('keygate-deferred-loader:'.length),
        namespace: LOADER_NAMESPACE,
      }));
      b.onLoad({ filter: /.*/, namespace: LOADER_NAMESPACE }, (args) => ({
        contents: loader(args.path),
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: NAMESPACE }, async (args) => {
        const target = args.pluginData as Target;
        let names = exportsOf.get(target.file);
        if (names === undefined) {
          names = exportNames(`${target.file}.ts`);
          exportsOf.set(target.file, names);
        }
        return { contents: stub(target.name, await names), loader: 'js', resolveDir: root };
      });
    },
  };
}

/** The names a TypeScript file exports at run time (types are erased). */
async function exportNames(file: string): Promise<string[]> {
  const result = await build({
    entryPoints: [file],
    bundle: false,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'node',
    outdir: path.dirname(file),
    logLevel: 'silent',
  });
  const outputs = Object.values(result.metafile.outputs);
  return [...(outputs[0]?.exports ?? [])].sort();
}

/** The one loader every module's shares (`keygate-deferred-loader:*`): bundled once, whatever the count. */
const SHARED_LOADER = '*';

/**
 * A module's loader: `require`s it once, or throws one error naming it. The work is the shared loader's,
 * so each further module adds only its name and its `require` (which esbuild leaves external).
 */
function loader(name: string): string {
  if (name === SHARED_LOADER) {
    return [
      'const loaded = new Map();',
      'export function loadModule(name, get) {',
      '  let m = loaded.get(name);',
      '  if (m !== undefined) return m;',
      '  try {',
      '    m = get();',
      '  } catch (e) {',
      "    const err = new Error(`the ${name} module (${name}.js) could not be loaded (${(e && e.code) || 'error'})`, { cause: e });",
      `    err.name = ${JSON.stringify(MODULE_LOAD_ERROR_NAME)};`,
      '    throw err;',
      '  }',
      '  loaded.set(name, m);',
      '  return m;',
      '}',
    ].join('\n');
  }
  return [
    `import { loadModule } from ${JSON.stringify(`keygate-deferred-loader:${SHARED_LOADER}`)};`,
    `export function load() { return loadModule(${JSON.stringify(name)}, () => require(${JSON.stringify(`./${name}.js`)})); }`,
  ].join('\n');
}

/** The stub of a file: each export a function that loads the module on its first call and calls its namesake. */
function stub(name: string, exported: readonly string[]): string {
  const bad = exported.filter((e) => e === 'default' || e === '__keygateLoad');
  if (bad.length > 0) throw new Error(`deferred module '${name}' cannot forward ${bad.join(', ')}`);
  return [
    `import { load as __keygateLoad } from ${JSON.stringify(`keygate-deferred-loader:${name}`)};`,
    ...exported.map((e) => `export function ${e}(...args) { return __keygateLoad().${e}(...args); }`),
  ].join('\n');
}
