/**
 * AWS glue for the Keygate authorizer: read the configuration once per container (cold start), build the
 * handler with its production dependencies, export it. Everything else lives in the pure modules.
 */
import type { LoadedConfig } from './load-config';
import { loadConfig } from './load-config';
import type { HandlerDeps } from './handler';
import { createHandler } from './handler';
import type * as SessionEntry from './session';

/**
 * Browser-session support lives in a module of its own (`session.js` beside this file in the bundle,
 * built from ./session.ts): loaded here only when the configuration asks for sessions, so an authorizer
 * without browser sign-in never reads, parses or compiles it at cold start. A plain runtime `require`,
 * left out of this bundle by the build (scripts/authorizer-bundle-options.ts).
 */
function withSessions(config: LoadedConfig): HandlerDeps {
  const session = config.ok ? config.config.session : undefined;
  if (!session) return { config };
  let entry: typeof SessionEntry;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    entry = require('./session.js') as typeof SessionEntry;
  } catch (e) {
    // A deployment missing its session module denies every request with one config error at cold start,
    // instead of failing the container's initialization (which API Gateway answers with 500s).
    const code = (e as { code?: unknown } | null)?.code;
    return {
      config: {
        ok: false,
        errors: [`session: the session module (session.js) could not be loaded (${String(code ?? 'error')})`],
      },
    };
  }
  return { config, sessions: entry.productionSessionSupport(session) };
}

export const handler = createHandler(withSessions(loadConfig(process.env)));
