/**
 * What depends on a verified token alone is made once and kept with its verified-claims entry: the answer's
 * context (handler.ts contextOf) and the facts' text of the decision line (decision-log.ts). Kept weakly,
 * so these are no caches of their own; what they hold must be exactly what a fresh build gives.
 */
import { describe, expect, it } from 'vitest';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import { buildContext } from '../../../lambda/authorizer/build-response';
import type { DecisionLine } from '../../../lambda/authorizer/decision-log';
import { createDecisionLog } from '../../../lambda/authorizer/decision-log';
import { createHandler } from '../../../lambda/authorizer/handler';
import type { TokenFacts } from '../../../lambda/authorizer/types';
import { apigwEvent } from '../../fixtures/apigw/events';
import { PRINCIPALS, RecordingLog, config, tableVerifier } from './pipeline-fixtures';

describe('answers kept with a verified token', () => {
  it('a repeated token answers with one context, equal to a fresh build; another token with its own', async () => {
    // GIVEN a handler whose verifier answers bob's token with one principal object, as the cache does
    const bobAgain = { ...PRINCIPALS.bob };
    const h = createHandler({
      config: { ok: true, config: config() },
      createVerifier: () => tableVerifier({ 'tok.bob.sig': PRINCIPALS.bob, 'tok.bob2.sig': bobAgain }),
      log: new RecordingLog(),
    });
    const ask = async (token: string) =>
      (await h(apigwEvent('rest', { authorization: `Bearer ${token}` }))) as IamPolicyResponse;
    // WHEN the same token comes twice, then another token of the same caller
    const [first, second, other] = [
      await ask('tok.bob.sig'),
      await ask('tok.bob.sig'),
      await ask('tok.bob2.sig'),
    ];
    // THEN the token's answers share its context, which is what buildContext gives
    expect(second.context).toBe(first.context);
    expect(first.context).toEqual(buildContext(PRINCIPALS.bob));
    // AND the other token's context is its own, with the same values
    expect(other.context).not.toBe(first.context);
    expect(other.context).toEqual(first.context);
  });

  it('the facts of a cached verification are written once per facts object; fresh ones as they come', () => {
    // GIVEN a decision log and one facts object
    const written: string[] = [];
    const log = createDecisionLog({ env: {}, write: (line) => written.push(line) });
    const facts: { -readonly [K in keyof TokenFacts]: TokenFacts[K] } = { iss: 'https://a', sub: 'u1' };
    const line = (cached: boolean): DecisionLine => ({
      decision: 'allow',
      reason: 'allowed',
      facts,
      durationMs: 0.1,
      cached,
    });
    const subs = () => written.map((w) => (JSON.parse(w) as { sub?: string }).sub);
    // WHEN a cached line is written, the object changes, and a cached and a fresh line follow
    log.decision(line(true));
    facts.sub = 'u2';
    log.decision(line(true));
    log.decision(line(false));
    // THEN both cached lines carry the text written first, the fresh line the object as it is
    expect(subs()).toEqual(['u1', 'u1', 'u2']);
  });
});
