/**
 * AWS glue for the Keygate authorizer: read the configuration once per container (cold start), build the
 * handler with its production dependencies, export it. Everything else lives in the pure modules.
 */
import type { AuthorizerConfig } from '../../common/authorizer-config';
import type { LoadedConfig } from './load-config';
import { loadConfig } from './load-config';
import type { HandlerDeps } from './handler';
import { createHandler } from './handler';
import type * as SessionEntry from './session';
import type * as BindingEntry from './binding';
import type * as RevocationEntry from './revocation';

/**
 * Browser-session support lives in a module of its own (`session.js` beside this file in the bundle,
 * built from ./session.ts): loaded here only when the configuration has a `session` block, whose checks
 * it also holds, so an authorizer without browser sign-in never reads, parses or compiles it at cold
 * start. A plain runtime `require`, left out of this bundle by the build
 * (scripts/authorizer-bundle-options.ts).
 */
let sessionModule: typeof SessionEntry | undefined;

function loadSessionModule(): typeof SessionEntry {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (sessionModule ??= require('./session.js') as typeof SessionEntry);
}

/** The `session` block's checks, from the session module; a module that cannot be loaded is one error. */
function validateSession(session: unknown, routes: unknown, tokenSource: unknown): string[] {
  let entry: typeof SessionEntry;
  try {
    entry = loadSessionModule();
  } catch (e) {
    // A deployment missing its session module denies every request with one config error at cold start,
    // instead of failing the container's initialization (which API Gateway answers with 500s).
    const code = (e as { code?: unknown } | null)?.code;
    return [`session: the session module (session.js) could not be loaded (${String(code ?? 'error')})`];
  }
  return entry.validateSessionBlock(session, routes, tokenSource);
}

function withSessions(config: LoadedConfig): HandlerDeps {
  const session = config.ok ? config.config.session : undefined;
  // A valid config with a session block has loaded the session module while validating it.
  return session ? { config, sessions: loadSessionModule().productionSessionSupport(session) } : { config };
}

/**
 * A feature module beside this file (`binding.js`, `revocation.js`), `require`d at cold start only when
 * the configuration has the feature. One that cannot be loaded makes the configuration invalid (every
 * request denied with one config error) rather than failing the container's initialization.
 */
function withModule<M>(
  deps: HandlerDeps,
  file: string,
  add: (m: M, config: AuthorizerConfig) => Partial<HandlerDeps>,
): HandlerDeps {
  const c = deps.config;
  if (!c.ok) return deps;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { ...deps, ...add(require(file) as M, c.config) };
  } catch (e) {
    // The module, or the runtime's SDK it requires, is missing.
    const code = (e as { code?: unknown } | null)?.code;
    return {
      config: {
        ok: false,
        errors: [
          `the module ${file} (or the runtime SDK it needs) could not be loaded (${String(code ?? 'error')})`,
        ],
      },
    };
  }
}

/** Token binding (DPoP, mTLS-bound tokens), with the DynamoDB replay store the config names. */
function withBinding(deps: HandlerDeps): HandlerDeps {
  if (!deps.config.ok || !deps.config.config.tokenBinding) return deps;
  return withModule<typeof BindingEntry>(deps, './binding.js', (m, config) => ({
    binding: m.productionBindingCheck(config),
  }));
}

/** The revocation list: the DynamoDB table the configuration names (RevocationList creates it). */
function withRevocationStore(deps: HandlerDeps): HandlerDeps {
  const tableName = deps.config.ok ? deps.config.config.revocation?.tableName : undefined;
  if (tableName === undefined) return deps;
  return withModule<typeof RevocationEntry>(deps, './revocation.js', (m) => ({
    revocationStore: m.productionRevocationStore(tableName),
  }));
}

export const handler = createHandler(
  withBinding(withRevocationStore(withSessions(loadConfig(process.env, validateSession)))),
);
