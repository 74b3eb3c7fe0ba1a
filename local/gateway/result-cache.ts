/**
 * API Gateway's authorizer result cache: one entry per identity-source value set, kept for the TTL, shared
 * by every route of the API. An entry holds what the authorizer returned (a policy, or a simple response)
 * and is evaluated against whichever route the next request with the same identity-source values calls.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html#http-api-lambda-authorizer.caching
 */
export interface CacheEntry<T> {
  readonly value: T;
  readonly expiresAt: number;
}

export class AuthorizerResultCache<T> {
  private readonly entries = new Map<string, CacheEntry<T>>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  /** The key API Gateway derives from the identity-source values, in the configured order. */
  static key(values: readonly string[]): string {
    return JSON.stringify(values);
  }

  get(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: T): void {
    if (!this.enabled) return;
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlSeconds * 1000 });
    // Bounded: the oldest entry goes first (Map keeps insertion order).
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
