/**
 * The one way an authorizer configuration is validated: by the construct at synth, by the authorizer at
 * cold start, by the local gateway and the tests. Every message names the field.
 *
 * A configuration that carries the digest of its own checked content (common/config-digest.ts) was checked
 * by the construct: only what the digest leaves out is checked again, the optional blocks (each by the
 * module that holds the feature) and each Cognito issuer's deployed values. Any other configuration gets
 * every check (common/config-checks.ts, a deferred module of the authorizer's bundle).
 */
import type { AuthorizerConfig, BlockValidators, ConfigResult, IssuerConfig } from './authorizer-config';
import { configChecked, issuerListErrors, issuerUrl, validateSessionBlock } from './authorizer-config';
import { validateCognitoIssuer } from './cognito-issuer';
import { uncheckedConfigIssues, unknownFieldIssues } from './config-checks';
import type { FieldIssue } from './field-issue';
import { fieldIssue, messagesOf } from './field-issue';
import { validateRevocationBlock } from './revocation';
import type { RouteSpec } from './route-model';
import { validateTokenBinding } from './token-binding';
import { validateUsageKeysBlock } from './usage-tiers';

/** Every block's checks, from common/. */
export const BLOCK_VALIDATORS: BlockValidators = {
  session: validateSessionBlock,
  revocation: validateRevocationBlock,
  usage: (input) => validateUsageKeysBlock(input),
  tokenBinding: validateTokenBinding,
};

/** Validates untrusted input into an AuthorizerConfig. Every message names the field. */
export function validateAuthorizerConfig(input: unknown): ConfigResult {
  return validateAuthorizerConfigWith(input, BLOCK_VALIDATORS);
}

/**
 * validateAuthorizerConfig with the blocks' checks passed in. The authorizer's core bundle uses it to
 * leave those checks (and their code) to the modules it loads only when the configuration has the block.
 * The checks of a `cognito` issuer and of step-up (an `acrLoaMap`, a route's `requirement.stepUp`) run
 * only when the configuration has them, and come with the authorizer's cognito and step-up modules.
 */
export function validateAuthorizerConfigWith(input: unknown, blocks: BlockValidators): ConfigResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    const issue = fieldIssue('config', 'must be a JSON object');
    return { ok: false, errors: [issue.message], issues: [issue] };
  }
  const c = input as Record<string, unknown>;
  const checked = configChecked(c);
  const errors = checked ? checkedConfigIssues(c) : uncheckedConfigIssues(c);
  errors.push(...blockErrors(c, blocks, errors.length === 0));
  if (!checked) errors.push(...unknownFieldIssues(c));
  return errors.length
    ? { ok: false, errors: messagesOf(errors), issues: errors }
    : { ok: true, config: c as unknown as AuthorizerConfig };
}

/**
 * What the digest of a checked configuration leaves out of its issuers: each Cognito issuer's deployed
 * user pool id, Region and app clients, and (through them) no issuer listed twice.
 */
function checkedConfigIssues(c: Readonly<Record<string, unknown>>): FieldIssue[] {
  return issuerListErrors(c.issuers, true, (i, at) =>
    (i as IssuerConfig).kind === 'cognito' ? validateCognitoIssuer(i as Record<string, unknown>, at) : [],
  );
}

/**
 * The optional blocks, each by its own checks (from the module that holds the feature, in the authorizer).
 * @param clean no error was found so far: token binding is checked against valid issuers and routes only
 */
export function blockErrors(
  c: Readonly<Record<string, unknown>>,
  blocks: BlockValidators,
  clean: boolean,
): FieldIssue[] {
  const errors: FieldIssue[] = [];
  const ttl = c.resultCacheTtlSeconds as number | undefined;
  if (c.session !== undefined) errors.push(...blocks.session(c.session, c.routes, c.tokenSource));
  if (c.revocation !== undefined) errors.push(...blocks.revocation(c.revocation, ttl));
  if (c.usage !== undefined) errors.push(...blocks.usage(c.usage));
  if (c.tokenBinding !== undefined && clean && errors.length === 0) {
    const issuers = (c.issuers as IssuerConfig[]).map(issuerUrl);
    errors.push(
      ...blocks.tokenBinding(c.tokenBinding, {
        routes: c.routes as RouteSpec[],
        issuers,
        resultCacheTtlSeconds: ttl,
      }),
    );
  }
  return errors;
}
