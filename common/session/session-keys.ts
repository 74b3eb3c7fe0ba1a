/**
 * The cookie keyring: which key seals new sessions and which keys may still open old ones.
 *
 * The Secrets Manager secret holds JSON `{"current": "<id>", "<id>": "<material>", ...}`: every property
 * besides `current` is a key id and its secret material (at least 32 characters; CloudFormation generates it
 * with `GenerateSecretString`, so it never appears in a template). Rotation = add a new id, point `current`
 * at it, and drop the old id once the longest session lifetime has passed. Working keys are derived from the
 * material with HKDF-SHA256 (node:crypto), one per purpose, so the AES key and the HMAC key never coincide.
 */
import { hkdfSync } from 'node:crypto';

export const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
export const MIN_KEY_MATERIAL_LENGTH = 32;
const MAX_KEYS = 16;

export interface DerivedKey {
  readonly id: string;
  /** AES-256-GCM key for the session envelope. */
  readonly sessionKey: Buffer;
  /** HMAC-SHA256 key for the login state cookie. */
  readonly stateKey: Buffer;
}

export interface SessionKeyring {
  /** Seals new sessions and signs new state cookies. */
  readonly current: DerivedKey;
  /** Every usable key by id, the current one included. */
  readonly byId: ReadonlyMap<string, DerivedKey>;
}

/** Supplies the keyring; production reads Secrets Manager, tests pass real keys directly. */
export interface SessionKeyProvider {
  keyring(): Promise<SessionKeyring>;
}

export class KeyringError extends Error {}

function derive(id: string, material: string): DerivedKey {
  const ikm = Buffer.from(material, 'utf8');
  const salt = Buffer.from('keygate-cookie-keys', 'utf8');
  return {
    id,
    sessionKey: Buffer.from(hkdfSync('sha256', ikm, salt, `keygate session aes-256-gcm ${id}`, 32)),
    stateKey: Buffer.from(hkdfSync('sha256', ikm, salt, `keygate state hmac-sha256 ${id}`, 32)),
  };
}

/** Parses the secret's JSON into a keyring. Throws KeyringError naming the problem (never the material). */
export function parseKeyring(secretString: string): SessionKeyring {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw new KeyringError('cookie key secret is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KeyringError('cookie key secret must be a JSON object');
  }
  const obj = parsed as Record<string, unknown>;
  const currentId = obj.current;
  if (typeof currentId !== 'string' || !KEY_ID.test(currentId)) {
    throw new KeyringError('cookie key secret: current must name a key id of letters, digits, _ or -');
  }
  const byId = new Map<string, DerivedKey>();
  for (const [id, material] of Object.entries(obj)) {
    if (id === 'current') continue;
    if (!KEY_ID.test(id)) throw new KeyringError(`cookie key secret: key id '${id.slice(0, 40)}' is invalid`);
    if (typeof material !== 'string' || material.length < MIN_KEY_MATERIAL_LENGTH) {
      throw new KeyringError(
        `cookie key secret: key ${id} must be a string of at least ${MIN_KEY_MATERIAL_LENGTH} characters`,
      );
    }
    byId.set(id, derive(id, material));
  }
  if (byId.size > MAX_KEYS) throw new KeyringError(`cookie key secret: at most ${MAX_KEYS} keys`);
  const current = byId.get(currentId);
  if (!current) throw new KeyringError(`cookie key secret: current key ${currentId} is not in the secret`);
  return { current, byId };
}

/** A provider over a fixed secret string (tests, the local gateway). */
export function staticKeyProvider(secretString: string): SessionKeyProvider {
  const keyring = parseKeyring(secretString);
  return { keyring: async () => keyring };
}
