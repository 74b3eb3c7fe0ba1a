/** `npm start`'s usage-plan lines (local/usage-banner.ts). */
import { describe, expect, test } from 'vitest';
import type { ServedUsage } from '../../local/assembly/serve-usage-plans';
import { usageBannerLines } from '../../local/usage-banner';

const base: Omit<ServedUsage, 'plans'> = {
  tierKeys: {},
  roleKeys: {},
  keyForRole: (role) => (role === 'keygate-local-machine' ? 'K'.repeat(40) : undefined),
};

describe('usageBannerLines', () => {
  test('one line per plan with its limits, and the X-API-Key of the IAM test caller', () => {
    expect(
      usageBannerLines({
        ...base,
        plans: [
          {
            id: 'A',
            name: 'shop-free',
            throttle: { rateLimit: 1, burstLimit: 2 },
            quota: { limit: 5, period: 'DAY' },
            apis: ['Api'],
            keys: [],
          },
          {
            id: 'B',
            name: 'shop-batch',
            throttle: { rateLimit: 5, burstLimit: 10 },
            apis: ['Api'],
            keys: [],
            callerKeyTier: 'batch',
          },
          {
            id: 'C',
            name: 'bad',
            throttle: { rateLimit: 0, burstLimit: 0 },
            apis: [],
            keys: [],
            problem: 'usage plan C: Throttle must be an object',
          },
        ],
      }),
    ).toEqual([
      'Usage plans (REST API; over a limit the gateway answers 429 as API Gateway does):',
      '  shop-free   1/s, burst 2, 5 per DAY',
      '  shop-batch  5/s, burst 10 (a key per caller)',
      '  bad         0/s, burst 0  NOT ENFORCED: usage plan C: Throttle must be an object',
      `  the IAM test caller sends X-API-Key: ${'K'.repeat(40)}`,
    ]);
  });

  test('nothing without usage plans', () => {
    expect(usageBannerLines({ ...base, plans: [] })).toEqual([]);
  });
});
