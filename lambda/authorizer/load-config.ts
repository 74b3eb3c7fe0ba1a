/**
 * Reads and validates the authorizer configuration from the environment, once per container. The value
 * is JSON, or `gz:` + base64 of gzipped JSON when the construct had to shrink it under Lambda's 4 KB
 * environment limit. A bad value is reported as errors, never thrown: the handler then denies everything.
 * Every check runs, but for a configuration that carries the digest of its own checked content: the
 * construct ran those checks at synth, and they are not run again (common/config-digest.ts); their code,
 * the deferred `config-checks.js`, is then never loaded.
 */
import type {
  AuthorizerConfig,
  BlockValidators,
  SessionBlockValidator,
} from '../../common/authorizer-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { BLOCK_VALIDATORS, validateAuthorizerConfigWith } from '../../common/authorizer-config-validate';

export type LoadedConfig =
  | { readonly ok: true; readonly config: AuthorizerConfig }
  | { readonly ok: false; readonly errors: readonly string[] };

const GZIP_PREFIX = 'gz:';
/** A gzipped config inflating beyond this is refused rather than trusted (bounded memory at cold start). */
const MAX_INFLATED_BYTES = 1024 * 1024;

/**
 * readConfig with every block's checks from common/ but the session block's (the local stack, tests).
 * @param validateSession the checks of a `session` block, run only when the configuration has one.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  validateSession: SessionBlockValidator,
): LoadedConfig {
  return readConfig(env, { ...BLOCK_VALIDATORS, session: validateSession });
}

/**
 * @param blocks the checks of the `session`, `revocation`, `usage` and `tokenBinding` blocks, each run
 *   only when the configuration has the block: the Lambda (index.ts) takes each from the module that
 *   holds the feature, so the core bundle carries none of them.
 */
export function readConfig(
  env: Readonly<Record<string, string | undefined>>,
  blocks: BlockValidators,
): LoadedConfig {
  const raw = env[AUTHORIZER_CONFIG_ENV];
  if (raw === undefined || raw.trim() === '') {
    return { ok: false, errors: [`${AUTHORIZER_CONFIG_ENV} is not set`] };
  }
  let json: string;
  if (raw.startsWith(GZIP_PREFIX)) {
    try {
      const packed = Buffer.from(raw.slice(GZIP_PREFIX.length), 'base64');
      // Loaded only for a gzipped config: node:zlib adds milliseconds to every cold start that loads it.
      const zlib = process.getBuiltinModule('node:zlib');
      json = zlib.gunzipSync(packed, { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8');
    } catch {
      return {
        ok: false,
        errors: [`${AUTHORIZER_CONFIG_ENV} starts with gz: but is not base64 of gzip data`],
      };
    }
  } else {
    json = raw;
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, errors: [`${AUTHORIZER_CONFIG_ENV} is not valid JSON`] };
  }
  let result: ReturnType<typeof validateAuthorizerConfigWith>;
  try {
    result = validateAuthorizerConfigWith(value, blocks);
  } catch (e) {
    // A deferred module whose checks cannot be loaded (missing from the asset) throws an error naming it
    // (scripts/bundle-deferred-modules.ts): a configuration error, every request denied, never a crash.
    return { ok: false, errors: [`${AUTHORIZER_CONFIG_ENV}: ${e instanceof Error ? e.message : 'error'}`] };
  }
  return result.ok
    ? { ok: true, config: result.config }
    : { ok: false, errors: result.errors.map((e) => `${AUTHORIZER_CONFIG_ENV}: ${e}`) };
}
