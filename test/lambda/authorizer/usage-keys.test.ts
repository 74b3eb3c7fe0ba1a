/**
 * Usage tiers in the authorizer: a REST answer carries the caller's tier key as usageIdentifierKey, read
 * once per container from the key secrets; the key depends on the token alone (cache replay holds).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UsageKeysConfig } from '../../../common/usage-tiers';
import { tierForPrincipal } from '../../../common/usage-tiers';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import { createHandler } from '../../../lambda/authorizer/handler';
import { createUsageKeys } from '../../../lambda/authorizer/usage-keys';
import type { VerifiedPrincipal } from '../../../lambda/authorizer/types';
import { apigwEvent } from '../../fixtures/apigw/events';
import { PRINCIPALS, REQUESTS, RecordingLog, config, principal, tableVerifier } from './pipeline-fixtures';
import { isCanonicalPath } from '../../../common/canonical-path';

const KEYS = {
  free: 'FreeKeyValue0000000000000000000000000001',
  team: 'TeamKeyValue0000000000000000000000000002',
  batch: 'BatchKeyValue000000000000000000000000003',
} as const;

const USAGE: UsageKeysConfig = {
  defaultTier: 'free',
  assignments: [
    { realmRole: 'admin', tier: 'batch' },
    { clientRole: 'keygate-api:model-user', tier: 'batch' },
    { group: '/staff', tier: 'team' },
  ],
  keySecrets: { free: 'arn:secret:free', team: 'arn:secret:team', batch: 'arn:secret:batch' },
};

const SECRET_VALUES: Record<string, string> = {
  'arn:secret:free': KEYS.free,
  'arn:secret:team': KEYS.team,
  'arn:secret:batch': KEYS.batch,
};

function secretStore(values: Record<string, string> = SECRET_VALUES) {
  const reads: string[] = [];
  let failing = false;
  return {
    reads,
    fail(on: boolean) {
      failing = on;
    },
    read: (id: string): Promise<string> => {
      reads.push(id);
      if (failing) return Promise.reject(new Error('extension unreachable'));
      const v = values[id];
      return v === undefined ? Promise.reject(new Error('no such secret')) : Promise.resolve(v);
    },
  };
}

const tokens = Object.fromEntries(Object.entries(PRINCIPALS).map(([name, p]) => [`tok.${name}.sig`, p]));

function handlerWith(
  store = secretStore(),
  log = new RecordingLog(),
  responseMode: 'iam' | 'simple' = 'iam',
) {
  return createHandler({
    config: { ok: true, config: config({ usage: USAGE, responseMode }) },
    createVerifier: () => tableVerifier(tokens),
    log,
    readSecret: store.read,
  });
}

describe('usage keys in the authorizer', () => {
  it.each([
    ['alice', KEYS.team], // group /staff
    ['bob', KEYS.free], // no assignment matches: the default tier
    ['svc', KEYS.batch], // client role keygate-api:model-user
    ['admin', KEYS.batch], // realm role admin (first match wins over nothing else)
    ['mallory', KEYS.free], // wildcards in roles and groups match nothing literally
    ['nobody', KEYS.free],
  ])('REST: %s is answered with its tier key', async (name, key) => {
    // GIVEN an authorizer with usage tiers WHEN a REST request arrives
    const r = (await handlerWith()(
      apigwEvent('rest', { authorization: `Bearer tok.${name}.sig` }),
    )) as IamPolicyResponse;
    // THEN the answer carries the tier key
    expect(r.usageIdentifierKey).toBe(key);
  });

  it('a denied (403) REST answer carries the key too: API Gateway denies before counting', async () => {
    const r = (await handlerWith()(
      apigwEvent('rest', { method: 'GET', path: '/reports/q3', authorization: 'Bearer tok.bob.sig' }),
    )) as IamPolicyResponse;
    expect(
      r.policyDocument.Statement.some(
        (s) => s.Effect === 'Allow' && s.Resource.some((x) => x.endsWith('/reports/q3')),
      ),
    ).toBe(false);
    expect(r.usageIdentifierKey).toBe(KEYS.free);
  });

  it.each(['http-1.0', 'http-2.0'] as const)(
    '%s: no usageIdentifierKey (HTTP APIs have no usage plans)',
    async (kind) => {
      const r = await handlerWith()(apigwEvent(kind, { authorization: 'Bearer tok.alice.sig' }));
      expect('usageIdentifierKey' in r).toBe(false);
    },
  );

  it('reads each key secret once per container, on the first request', async () => {
    const store = secretStore();
    const h = handlerWith(store);
    expect(store.reads).toEqual([]);
    for (const name of ['alice', 'bob', 'svc', 'alice', 'bob']) {
      await h(apigwEvent('rest', { authorization: `Bearer tok.${name}.sig` }));
    }
    expect([...store.reads].sort()).toEqual(['arn:secret:batch', 'arn:secret:free', 'arn:secret:team']);
  });

  it('a failed read denies with usage_key_unavailable (401) and is retried on the next request', async () => {
    const store = secretStore();
    const log = new RecordingLog();
    const h = handlerWith(store, log);
    store.fail(true);
    await expect(h(apigwEvent('rest', { authorization: 'Bearer tok.alice.sig' }))).rejects.toThrow(
      /^Unauthorized$/,
    );
    expect(log.lines.map((l) => [l.decision, l.reason])).toEqual([['unauthorized', 'usage_key_unavailable']]);
    store.fail(false);
    const r = (await h(apigwEvent('rest', { authorization: 'Bearer tok.alice.sig' }))) as IamPolicyResponse;
    expect(r.usageIdentifierKey).toBe(KEYS.team);
    expect(store.reads.length).toBe(6);
  });

  it('a secret that does not hold a key value denies, and the message never holds the value', async () => {
    const store = secretStore({ ...SECRET_VALUES, 'arn:secret:team': 'short secret value!' });
    const keys = createUsageKeys(USAGE, store.read);
    const err = await keys.load().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toBe('the key secret of tier team does not hold an API key value');
    expect(() => keys.keyFor(PRINCIPALS.alice)).toThrow('usage keys are not loaded');
  });

  it('property: over generated principals and request orders, every REST answer of a token carries the key of the tier its token gives', async () => {
    const roles = ['admin', 'model-user', 'staff', '*', 'admin*'];
    const clientRoles = ['keygate-api:model-user', 'keygate-api:other', 'keygate-api:*'];
    const groups = ['/staff', '/ops', '/*', '/staff/sub'];
    const arbPrincipal = fc.record({
      realmRoles: fc.subarray(roles),
      clientRoles: fc.subarray(clientRoles),
      groups: fc.subarray(groups),
    });
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbPrincipal, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...REQUESTS.filter((q) => isCanonicalPath(q.path)))), {
          minLength: 1,
          maxLength: 12,
        }),
        async (ents, requests) => {
          const byToken: Record<string, VerifiedPrincipal> = {};
          ents.forEach((e, i) => (byToken[`tok.p${i}.sig`] = principal(`p${i}`, e)));
          const h = createHandler({
            config: { ok: true, config: config({ usage: USAGE }) },
            createVerifier: () => tableVerifier(byToken),
            log: new RecordingLog(),
            readSecret: secretStore().read,
          });
          for (const [n, req] of requests) {
            const i = n % ents.length;
            const r = (await h(
              apigwEvent('rest', {
                method: req.method,
                path: req.path,
                authorization: `Bearer tok.p${i}.sig`,
              }),
            )) as IamPolicyResponse;
            const tier = tierForPrincipal(ents[i], USAGE.assignments, USAGE.defaultTier);
            expect(r.usageIdentifierKey).toBe(KEYS[tier as keyof typeof KEYS]);
            checked++;
          }
        },
      ),
      { numRuns: 60 },
    );
    expect(checked).toBeGreaterThanOrEqual(60);
  });
});
