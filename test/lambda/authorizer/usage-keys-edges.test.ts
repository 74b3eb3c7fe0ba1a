/**
 * createUsageKeys on its own, at the edges the handler tests do not reach: keys asked for before they are
 * loaded, a tier without a key, a per-caller tier without a subject or an API stage, a registrar that
 * cannot be loaded, and what each refusal writes (never the key).
 */
import { describe, expect, it } from 'vitest';
import { callerKeyName, callerKeyRecordId, callerKeyValue } from '../../../common/usage-caller-keys';
import type { UsageKeysConfig } from '../../../common/usage-tiers';
import type { CallerKeyRegistrar, CallerKeyRequest } from '../../../lambda/authorizer/usage-key-registrar';
import { UsageKeyUnavailableError, createUsageKeys } from '../../../lambda/authorizer/usage-keys';

const SECRETS: Record<string, string> = {
  'arn:secret:free': 'FreeTierSecret00000000000000000000000001',
  'arn:secret:team': 'TeamKeyValue0000000000000000000000000002',
};
const read = (id: string) => Promise.resolve(SECRETS[id]);
const ARN_PREFIX = 'arn:aws:execute-api:eu-west-1:111122223333:abcdef1234/dev/';
const ISSUER = 'https://sso.example.com/realms/ml';

const config = (over: Partial<UsageKeysConfig> = {}): UsageKeysConfig => ({
  defaultTier: 'free',
  assignments: [{ group: '/staff', tier: 'team' }],
  keySecrets: { free: 'arn:secret:free', team: 'arn:secret:team' },
  callerKeys: { table: 'caller-keys', tiers: ['free'] },
  ...over,
});

const person = (sub: string | undefined, groups: string[] = []) => ({
  realmRoles: [],
  clientRoles: [],
  groups,
  issuer: ISSUER,
  ...(sub === undefined ? {} : { sub }),
});

function recording(result: Awaited<ReturnType<CallerKeyRegistrar['ensure']>> = { ok: true }) {
  const asked: CallerKeyRequest[] = [];
  return {
    asked,
    ensure: (r: CallerKeyRequest) => {
      asked.push(r);
      return Promise.resolve(result);
    },
  };
}

describe('usage keys at the edges', () => {
  it('asked before load: refuses with UsageKeyUnavailableError, both keyFor and ensure', async () => {
    const keys = createUsageKeys(config(), read, { registrar: recording(), warn: () => undefined });
    expect(() => keys.keyFor(person('u1'))).toThrow(
      new UsageKeyUnavailableError('usage keys are not loaded'),
    );
    await expect(keys.ensure(person('u1'), { arnPrefix: ARN_PREFIX })).rejects.toThrow(
      'usage keys are not loaded',
    );
  });

  it('a tier whose key is not configured: no key for tier <name>', async () => {
    const keys = createUsageKeys(
      config({ keySecrets: { free: 'arn:secret:free' }, callerKeys: undefined }),
      read,
    );
    await keys.load();
    expect(() => keys.keyFor(person('u1', ['/staff']))).toThrow('no key for tier team');
  });

  it('a per-caller tier: the key is derived from issuer and subject; a token without a subject has none', async () => {
    const keys = createUsageKeys(config(), read, { registrar: recording(), warn: () => undefined });
    await keys.load();
    expect(keys.keyFor(person('u1'))).toBe(
      callerKeyValue(SECRETS['arn:secret:free'], 'free', { issuer: ISSUER, sub: 'u1' }),
    );
    expect(() => keys.keyFor(person(undefined))).toThrow('the caller has no key of its own in tier free');
    // A shared tier needs no subject.
    expect(keys.keyFor(person(undefined, ['/staff']))).toBe(SECRETS['arn:secret:team']);
  });

  it.each([
    ['no subject', person(undefined), ARN_PREFIX, 'no_subject'],
    ['no API stage in the method ARN', person('u1'), 'arn:aws:execute-api:eu-west-1:1:abc/', 'no_api_stage'],
  ])(
    'ensure, %s: 401 usage_key_unregistered, one warning with the cause, nothing registered',
    async (_n, who, arnPrefix, cause) => {
      const registrar = recording();
      const warned: Record<string, string>[] = [];
      const keys = createUsageKeys(config(), read, { registrar, warn: (l) => warned.push(l) });
      await keys.load();
      expect(await keys.ensure(who, { arnPrefix })).toEqual({
        status: 401,
        reason: 'usage_key_unregistered',
      });
      expect(warned).toEqual([{ level: 'WARN', message: 'usage key not registered', tier: 'free', cause }]);
      expect(registrar.asked).toEqual([]);
    },
  );

  it('ensure: a shared tier, or a configuration without callerKeys, registers nothing', async () => {
    const registrar = recording();
    const shared = createUsageKeys(config(), read, { registrar });
    await shared.load();
    expect(await shared.ensure(person('u1', ['/staff']), { arnPrefix: ARN_PREFIX })).toBeUndefined();
    expect(registrar.asked).toEqual([]);
  });

  it('ensure: the request the registrar gets; its refusal is logged with the record id and the AWS error name, never the key', async () => {
    const registrar = recording({ ok: false, cause: 'failed', error: 'LimitExceededException' });
    const warned: Record<string, string>[] = [];
    const keys = createUsageKeys(config(), read, { registrar, warn: (l) => warned.push(l) });
    await keys.load();
    const value = keys.keyFor(person('u1'));
    const recordId = callerKeyRecordId('free', value);
    expect(await keys.ensure(person('u1'), { arnPrefix: ARN_PREFIX })).toEqual({
      status: 401,
      reason: 'usage_key_unregistered',
    });
    expect(registrar.asked).toEqual([
      {
        recordId,
        keyName: callerKeyName(recordId),
        value,
        tier: 'free',
        apiId: 'abcdef1234',
        stage: 'dev',
        caller: `${ISSUER} u1`,
      },
    ]);
    expect(warned).toEqual([
      {
        level: 'WARN',
        message: 'usage key not registered',
        tier: 'free',
        record: recordId,
        cause: 'failed',
        error: 'LimitExceededException',
      },
    ]);
    expect(JSON.stringify(warned)).not.toContain(value);
  });

  it('ensure: a pending registration is refused without an error name; a later success passes', async () => {
    const registrar = recording({ ok: false, cause: 'pending' });
    const warned: Record<string, string>[] = [];
    const keys = createUsageKeys(config(), read, { registrar, warn: (l) => warned.push(l) });
    await keys.load();
    expect(await keys.ensure(person('u1'), { arnPrefix: ARN_PREFIX })).toEqual({
      status: 401,
      reason: 'usage_key_unregistered',
    });
    expect(Object.keys(warned[0]).sort()).toEqual(['cause', 'level', 'message', 'record', 'tier']);
    expect(warned[0].cause).toBe('pending');
  });

  it('the default warning goes to stderr as one JSON line', async () => {
    const keys = createUsageKeys(config(), read, { registrar: recording() });
    await keys.load();
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      written.push(chunk);
      return true;
    }) as typeof process.stderr.write;
    try {
      await keys.ensure(person(undefined), { arnPrefix: ARN_PREFIX });
    } finally {
      process.stderr.write = original;
    }
    expect(written).toEqual([
      '{"level":"WARN","message":"usage key not registered","tier":"free","cause":"no_subject"}\n',
    ]);
  });
});
