/**
 * Per-caller tiers in the authorizer: each caller of such a tier is answered with a key of its own,
 * derived from its token and registered before the answer names it; the shared tiers are unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callerKeyValue } from '../../../common/usage-caller-keys';
import type { UsageKeysConfig } from '../../../common/usage-tiers';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import { createHandler } from '../../../lambda/authorizer/handler';
import type {
  CallerKeyRegistrar,
  CallerKeyRequest,
  RegistrationResult,
} from '../../../lambda/authorizer/usage-key-registrar';
import { apigwEvent } from '../../fixtures/apigw/events';
import { PRINCIPALS, REQUESTS, RecordingLog, config, tableVerifier } from './pipeline-fixtures';
import { isCanonicalPath } from '../../../common/canonical-path';

const SECRETS = {
  free: 'FreeTierSecret00000000000000000000000001',
  team: 'TeamKeyValue0000000000000000000000000002',
};

const USAGE: UsageKeysConfig = {
  defaultTier: 'free',
  assignments: [{ group: '/staff', tier: 'team' }],
  keySecrets: { free: 'arn:secret:free', team: 'arn:secret:team' },
  callerKeys: { table: 'caller-keys', tiers: ['free'] },
};

const read = (id: string) => Promise.resolve(id === 'arn:secret:free' ? SECRETS.free : SECRETS.team);

/** A registrar that records what it was asked, and answers as told. */
function recordingRegistrar(answer: RegistrationResult = { ok: true }) {
  const asked: CallerKeyRequest[] = [];
  const registrar: CallerKeyRegistrar & { asked: CallerKeyRequest[]; answer: RegistrationResult } = {
    asked,
    answer,
    ensure(r) {
      asked.push(r);
      return Promise.resolve(registrar.answer);
    },
  };
  return registrar;
}

const tokens = Object.fromEntries(Object.entries(PRINCIPALS).map(([n, p]) => [`tok.${n}.sig`, p]));

function handlerWith(registrar: CallerKeyRegistrar, log = new RecordingLog()) {
  return createHandler({
    config: { ok: true, config: config({ usage: USAGE }) },
    createVerifier: () => tableVerifier(tokens),
    log,
    readSecret: read,
    usageKeyRegistrar: registrar,
  });
}

const ownKey = (name: keyof typeof PRINCIPALS) =>
  callerKeyValue(SECRETS.free, 'free', { issuer: PRINCIPALS[name].issuer, sub: PRINCIPALS[name].sub });

describe('per-caller usage keys in the authorizer', () => {
  it('a caller of a per-caller tier is answered with its own registered key; a shared tier keeps its key', async () => {
    const registrar = recordingRegistrar();
    const h = handlerWith(registrar);
    const bob = (await h(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' }))) as IamPolicyResponse;
    const svc = (await h(apigwEvent('rest', { authorization: 'Bearer tok.svc.sig' }))) as IamPolicyResponse;
    const alice = (await h(
      apigwEvent('rest', { authorization: 'Bearer tok.alice.sig' }),
    )) as IamPolicyResponse;
    // THEN bob and svc (free, per caller) have distinct keys of their own, neither the tier secret
    expect(bob.usageIdentifierKey).toBe(ownKey('bob'));
    expect(svc.usageIdentifierKey).toBe(ownKey('svc'));
    expect(bob.usageIdentifierKey).not.toBe(svc.usageIdentifierKey);
    expect(bob.usageIdentifierKey).not.toBe(SECRETS.free);
    expect(bob.usageIdentifierKey).toMatch(/^[0-9a-f]{64}$/);
    // AND alice (team, shared) gets the team key, without a registration
    expect(alice.usageIdentifierKey).toBe(SECRETS.team);
    expect(registrar.asked.map((r) => [r.tier, r.value, r.apiId, r.stage])).toEqual([
      ['free', ownKey('bob'), expect.any(String), expect.any(String)],
      ['free', ownKey('svc'), expect.any(String), expect.any(String)],
    ]);
    expect(registrar.asked[0].caller).toBe(`${PRINCIPALS.bob.issuer} bob`);
  });

  it('a registration is remembered with the verified token: its next request asks nothing, a new token of the caller asks again', async () => {
    const registrar = recordingRegistrar();
    const bobAgain = { ...PRINCIPALS.bob };
    const h = createHandler({
      config: { ok: true, config: config({ usage: USAGE }) },
      createVerifier: () => tableVerifier({ ...tokens, 'tok.bob2.sig': bobAgain }),
      log: new RecordingLog(),
      readSecret: read,
      usageKeyRegistrar: registrar,
    });
    const keys: (string | undefined)[] = [];
    for (const token of ['tok.bob.sig', 'tok.bob.sig', 'tok.bob2.sig', 'tok.bob2.sig']) {
      const r = (await h(apigwEvent('rest', { authorization: `Bearer ${token}` }))) as IamPolicyResponse;
      keys.push(r.usageIdentifierKey);
    }
    // THEN every answer names bob's own key, and the registrar was asked once per token
    expect(keys).toEqual([ownKey('bob'), ownKey('bob'), ownKey('bob'), ownKey('bob')]);
    expect(registrar.asked.map((r) => r.value)).toEqual([ownKey('bob'), ownKey('bob')]);
  });

  it('a registration refused is not remembered: the next request of the token asks again', async () => {
    const registrar = recordingRegistrar({ ok: false, cause: 'pending' });
    const h = handlerWith(registrar);
    const quiet = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      for (let i = 0; i < 2; i++)
        await expect(h(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' }))).rejects.toThrow(
          /^Unauthorized$/,
        );
    } finally {
      process.stderr.write = quiet;
    }
    registrar.answer = { ok: true };
    const r = (await h(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' }))) as IamPolicyResponse;
    expect(r.usageIdentifierKey).toBe(ownKey('bob'));
    expect(registrar.asked).toHaveLength(3);
  });

  it('HTTP APIs: no registration and no key', async () => {
    const registrar = recordingRegistrar();
    const r = await handlerWith(registrar)(apigwEvent('http-2.0', { authorization: 'Bearer tok.bob.sig' }));
    expect('usageIdentifierKey' in r).toBe(false);
    expect(registrar.asked).toEqual([]);
  });

  it.each<[RegistrationResult]>([
    [{ ok: false, cause: 'failed', error: 'LimitExceededException' }],
    [{ ok: false, cause: 'pending' }],
  ])(
    'a key that cannot be registered (%j) denies with usage_key_unregistered (401, never cached)',
    async (answer) => {
      const log = new RecordingLog();
      const registrar = recordingRegistrar(answer);
      const writes: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string) => (
        writes.push(String(chunk)),
        true
      )) as typeof process.stderr.write;
      try {
        await expect(
          handlerWith(registrar, log)(apigwEvent('rest', { authorization: 'Bearer tok.bob.sig' })),
        ).rejects.toThrow(/^Unauthorized$/);
      } finally {
        process.stderr.write = write;
      }
      expect(log.lines.map((l) => [l.decision, l.reason])).toEqual([
        ['unauthorized', 'usage_key_unregistered'],
      ]);
      // The warning names the tier and the cause, never the key.
      expect(writes).toHaveLength(1);
      const line = JSON.parse(writes[0]) as Record<string, string>;
      expect(line).toMatchObject({ level: 'WARN', tier: 'free', cause: answer.ok ? '' : answer.cause });
      expect(writes[0]).not.toContain(ownKey('bob')!);
      expect(JSON.stringify(log.lines)).not.toContain(ownKey('bob')!);
    },
  );

  it('property: the key of a token is the same on every route (a cached answer replayed elsewhere is right)', async () => {
    const registrar = recordingRegistrar();
    const h = handlerWith(registrar);
    const routes = REQUESTS.filter((q) => isCanonicalPath(q.path));
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('bob', 'svc', 'admin', 'nobody', 'alice'),
        fc.array(fc.constantFrom(...routes), { minLength: 2, maxLength: 6 }),
        async (name, reqs) => {
          const keys = new Set<string | undefined>();
          for (const q of reqs) {
            const r = (await h(
              apigwEvent('rest', { method: q.method, path: q.path, authorization: `Bearer tok.${name}.sig` }),
            )) as IamPolicyResponse;
            keys.add(r.usageIdentifierKey);
            checked++;
          }
          expect(keys.size).toBe(1);
          expect([...keys][0]).toBe(name === 'alice' ? SECRETS.team : ownKey(name));
        },
      ),
      { numRuns: 40 },
    );
    expect(checked).toBeGreaterThanOrEqual(80);
  });
});
