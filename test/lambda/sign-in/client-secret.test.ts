import { describe, expect, it } from 'vitest';
import { clientSecretFrom } from '../../../lambda/sign-in/client-secret';

describe('clientSecretFrom', () => {
  it('takes the whole secret string, or one field of a JSON secret', () => {
    expect(clientSecretFrom('s3cr3t', undefined)).toBe('s3cr3t');
    expect(clientSecretFrom('{"clientSecret":"s3cr3t","other":1}', 'clientSecret')).toBe('s3cr3t');
  });

  it.each([
    ['', undefined, 'client secret is empty'],
    ['s3cr3t', 'clientSecret', 'client secret is not JSON, so it has no field clientSecret'],
    ['{"other":"s3cr3t"}', 'clientSecret', 'client secret has no field clientSecret'],
    ['{"clientSecret":42}', 'clientSecret', 'client secret has no field clientSecret'],
    ['null', 'clientSecret', 'client secret has no field clientSecret'],
  ])('refuses %j with field %j, without the value in the message', (secret, field, message) => {
    expect(() => clientSecretFrom(secret, field)).toThrow(message);
    try {
      clientSecretFrom(secret, field);
    } catch (e) {
      expect((e as Error).message).not.toContain('s3cr3t');
    }
  });
});
