import { randomBytes } from 'node:crypto';
import { parseKeyring } from '../../../common/session/session-keys';

/** A keyring secret string with fresh random material, as the Secrets Manager secret holds it. */
export function keyringSecret(current: string, ids: readonly string[] = [current]): string {
  const obj: Record<string, string> = { current };
  for (const id of ids) obj[id] = randomBytes(48).toString('base64url');
  return JSON.stringify(obj);
}

export function keyring(current = 'k1', ids?: readonly string[]) {
  return parseKeyring(keyringSecret(current, ids));
}
