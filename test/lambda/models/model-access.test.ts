import { describe, expect, it } from 'vitest';
import { parsePrincipal } from '../../../lambda/models/model-access';

describe('parsePrincipal', () => {
  it.each([
    [
      'arn:aws:sts::111122223333:assumed-role/batch-scorer/session-1',
      { partition: 'aws', account: '111122223333', kind: 'role', name: 'batch-scorer' },
    ],
    [
      'arn:aws:iam::111122223333:role/service/batch-scorer',
      { partition: 'aws', account: '111122223333', kind: 'role', name: 'batch-scorer' },
    ],
    [
      'arn:aws-cn:iam::111122223333:user/ops/jane',
      { partition: 'aws-cn', account: '111122223333', kind: 'user', name: 'jane' },
    ],
    ['arn:aws:iam::111122223333:root', undefined],
    ['arn:aws:sts::111122223333:federated-user/bob', undefined],
    ['arn:aws:sts::111122223333:assumed-role/only-role', undefined],
    ['not an arn', undefined],
  ])('%s', (arn, expected) => {
    expect(parsePrincipal(arn)).toEqual(expected);
  });
});
