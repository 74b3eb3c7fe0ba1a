/**
 * The confidential client's secret from its Secrets Manager value: the whole SecretString, or one field of
 * a JSON secret (e.g. `{"clientSecret":"..."}`). Error messages never carry the value.
 */
import { SignInError } from './errors';

export function clientSecretFrom(secretString: string, field: string | undefined): string {
  if (field === undefined) {
    if (secretString.length === 0) throw new SignInError('client secret is empty');
    return secretString;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new SignInError(`client secret is not JSON, so it has no field ${field}`);
  }
  const value = (parsed as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string' || value.length === 0)
    throw new SignInError(`client secret has no field ${field}`);
  return value;
}
