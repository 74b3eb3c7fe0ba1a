/**
 * AWS glue for the Keygate authorizer: read the configuration once per container (cold start), build the
 * handler with its production dependencies, export it. Everything else lives in the pure modules.
 *
 * Features live in modules of their own beside this file in the bundle (`session.js`, `binding.js`,
 * `revocation.js`, built from ./session.ts, ./binding.ts, ./revocation.ts; the list is
 * lib/internal/lambda-entries.ts): each is `require`d here only when the configuration has its block,
 * whose checks it also holds, so an authorizer without the feature never reads, parses or compiles its
 * code at cold start. Plain runtime `require`s, left out of this bundle by the build. (`usage.js` holds
 * the `usage` checks; its keys are read by the pipeline on the first request, optional-modules.ts.)
 * The Cognito verifier (`cognito.js`) and step-up (`step-up.js`) are deferred modules: the code imports
 * them as usual and the bundle loads each on the first call, which only a configuration with a Cognito
 * issuer or with step-up makes (lib/internal/lambda-entries.ts). So are `config-checks.js` and
 * `route-checks.js`, the checks of the configuration's content and the route table's whole-table checks:
 * loaded at cold start only when the configuration does not carry the digest of the content the
 * construct checked (load-config.ts).
 */
import type { BlockValidators } from '../../common/authorizer-config';
import type { FieldIssue } from '../../common/field-issue';
import { fieldIssue } from '../../common/field-issue';
import type { LoadedConfig } from './load-config';
import { readConfig } from './load-config';
import type { HandlerDeps } from './handler';
import { createHandler } from './handler';
import type * as SessionEntry from './session';
import type * as BindingEntry from './binding';
import type * as RevocationEntry from './revocation';
import type * as UsageEntry from './usage';

/** A feature module, loaded once, by the file name the build gives it. */
function moduleLoader<M>(file: string): () => M {
  let loaded: M | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return () => (loaded ??= require(file) as M);
}

const sessionModule = moduleLoader<typeof SessionEntry>('./session.js');
const bindingModule = moduleLoader<typeof BindingEntry>('./binding.js');
const revocationModule = moduleLoader<typeof RevocationEntry>('./revocation.js');
const usageModule = moduleLoader<typeof UsageEntry>('./usage.js');

/**
 * A block's checks, from its module. A deployment missing the module (or the runtime SDK it needs) denies
 * every request with one config error at cold start, instead of failing the container's initialization
 * (which API Gateway answers with 500s).
 */
function checksFrom<M, A extends unknown[]>(
  block: string,
  what: string,
  load: () => M,
  checks: (m: M, ...args: A) => FieldIssue[],
): (...args: A) => FieldIssue[] {
  return (...args) => {
    let m: M;
    try {
      m = load();
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code;
      return [fieldIssue(block, `: the ${what} could not be loaded (${String(code ?? 'error')})`)];
    }
    return checks(m, ...args);
  };
}

const BLOCKS: BlockValidators = {
  session: checksFrom('session', 'session module (session.js)', sessionModule, (m, session, routes, source) =>
    m.validateSessionBlock(session, routes, source),
  ),
  tokenBinding: checksFrom('tokenBinding', 'token-binding module (binding.js)', bindingModule, (m, b, c) =>
    m.validateTokenBinding(b, c),
  ),
  revocation: checksFrom('revocation', 'revocation module (revocation.js)', revocationModule, (m, r, ttl) =>
    m.validateRevocationBlock(r, ttl),
  ),
  usage: checksFrom('usage', 'usage-key module (usage.js)', usageModule, (m, u) =>
    m.validateUsageKeysBlock(u),
  ),
};

/**
 * The handler's dependencies for a valid configuration: each configured feature from its module (which a
 * valid configuration has loaded while its block was checked). A feature that cannot start (the runtime's
 * SDK it needs is missing) is one config error, every request denied.
 */
export function productionDeps(config: LoadedConfig): HandlerDeps {
  if (!config.ok) return { config };
  const c = config.config;
  const errors: string[] = [];
  const start = <T>(block: string, make: () => T): T | undefined => {
    try {
      return make();
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code;
      errors.push(`${block}: the feature could not start (${String(code ?? 'error')})`);
      return undefined;
    }
  };
  const deps: HandlerDeps = {
    config,
    sessions: c.session && start('session', () => sessionModule().productionSessionSupport(c.session!)),
    binding: c.tokenBinding && start('tokenBinding', () => bindingModule().productionBindingCheck(c)),
    // The revocation list: the DynamoDB table the configuration names (RevocationList creates it).
    revocationStore:
      c.revocation?.tableName === undefined
        ? undefined
        : start('revocation', () => revocationModule().productionRevocationStore(c.revocation!.tableName!)),
  };
  return errors.length > 0 ? { config: { ok: false, errors } } : deps;
}

export const handler = createHandler(productionDeps(readConfig(process.env, BLOCKS)));
