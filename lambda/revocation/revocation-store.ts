/**
 * The revocation list as both functions see it: the back-channel logout endpoint writes entries and
 * claims logout-token `jti`s, the authorizer looks entries up. Keys come from common/revocation.ts
 * (revocationKey, logoutJtiKey). Two implementations: DynamoDB (dynamodb-revocation-store.ts, deployed)
 * and memory (below: the local gateway, and tests).
 */

/** One revocation: the key, when it was revoked and until when it is kept (epoch seconds). */
export interface RevocationEntry {
  readonly key: string;
  readonly revokedAt: number;
  readonly expiresAt: number;
}

export interface RevocationStore {
  /** Records revocations; a later revocation of the same key replaces an earlier one. */
  revoke(entries: readonly RevocationEntry[]): Promise<void>;
  /**
   * Remembers a logout token's `jti` until `expiresAt`: true the first time, false when it was already
   * claimed and has not expired (a replay).
   */
  claimOnce(key: string, expiresAt: number, nowSeconds: number): Promise<boolean>;
  /** The revocation time of each given key that is on the list and not expired; absent keys are left out. */
  lookup(keys: readonly string[], nowSeconds: number): Promise<ReadonlyMap<string, number>>;
}

/** The list in memory: the local gateway's store (one process), and the tests'. */
export class MemoryRevocationStore implements RevocationStore {
  private readonly entries = new Map<string, { revokedAt: number; expiresAt: number }>();
  /** Number of lookup calls, for the tests and the bench (a DynamoDB store makes one read per call). */
  public lookups = 0;

  revoke(entries: readonly RevocationEntry[]): Promise<void> {
    for (const e of entries) {
      const prev = this.entries.get(e.key);
      if (!prev || prev.revokedAt <= e.revokedAt)
        this.entries.set(e.key, { revokedAt: e.revokedAt, expiresAt: e.expiresAt });
    }
    return Promise.resolve();
  }

  claimOnce(key: string, expiresAt: number, nowSeconds: number): Promise<boolean> {
    const prev = this.entries.get(key);
    if (prev && prev.expiresAt > nowSeconds) return Promise.resolve(false);
    this.entries.set(key, { revokedAt: nowSeconds, expiresAt });
    return Promise.resolve(true);
  }

  lookup(keys: readonly string[], nowSeconds: number): Promise<ReadonlyMap<string, number>> {
    this.lookups++;
    const found = new Map<string, number>();
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && e.expiresAt > nowSeconds) found.set(k, e.revokedAt);
    }
    return Promise.resolve(found);
  }
}
