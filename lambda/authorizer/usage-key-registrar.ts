/**
 * Registers a per-caller API key (common/usage-caller-keys.ts) in its tier's usage plan, once per caller,
 * before the authorizer names it as `usageIdentifierKey`: API Gateway answers 403 to a key that is in no
 * usage plan of the stage (InvalidKeyParameter,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-key-source.html).
 *
 * The pipeline, every step repeatable:
 * 1. The record (DynamoDB, keyed by the record id, never the value) says `registered`: done.
 * 2. Claim it with a conditional put: the item must not exist, or be a claim older than `staleMs` (a
 *    container that died mid-way). One container registers a caller; the others wait a bounded time for
 *    the record to turn `registered`, else fail closed (`pending`) and try again on the next request.
 * 3. Find the tier's usage plan on the request's API stage (by its tag, common/usage-caller-keys.ts; once
 *    per container), CreateApiKey with the derived value, then CreateUsagePlanKey. Both are repeatable in
 *    the AWS glue (usage-key-registrar-aws.ts): API key values are unique, a second key with the same
 *    value being the same key
 *    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html), so a
 *    ConflictException is followed by a lookup by name; a key already in the plan is one too.
 * 4. Mark the record `registered` with the API key's id. A failure releases the claim and fails closed
 *    (`failed`), with the AWS error name for the log, never the value.
 *
 * Loaded only by an authorizer with per-caller tiers (`usage.callerKeys`), on the first request of a
 * caller in such a tier (usage-keys.ts, which remembers a registered caller with its verified token). It
 * keeps only the plan id per API stage and tier, configuration rather than a cache: one per stage and tier
 * the container serves, never evicted, as plans change only with a deployment (which starts new containers).
 */

/** A caller key's record, as stored. */
export interface CallerKeyRecord {
  readonly state: 'pending' | 'registered';
  /** Epoch milliseconds of the claim. */
  readonly claimedAt: number;
  readonly apiKeyId?: string;
}

/** What a claim writes besides the state. */
export interface CallerKeyClaim {
  readonly tier: string;
  /** The caller's issuer and subject, for operators mapping API keys (and their usage) to callers. */
  readonly caller: string;
  readonly claimedAt: number;
}

/** The record store (DynamoDB in usage-key-registrar-aws.ts). */
export interface CallerKeyRecords {
  get(id: string): Promise<CallerKeyRecord | undefined>;
  /**
   * Conditional put: writes a pending record when none exists or the existing one is a claim made before
   * `staleBefore`. False when another container holds a fresh claim or the key is registered.
   */
  claim(id: string, claim: CallerKeyClaim, staleBefore: number): Promise<boolean>;
  /** Marks the claimed record registered. */
  complete(id: string, apiKeyId: string, at: number): Promise<void>;
  /** Drops this container's claim (made at `claimedAt`) after a failure, so the next request retries. */
  release(id: string, claimedAt: number): Promise<void>;
}

/** API Gateway's key management (usage-key-registrar-aws.ts). The writes must be idempotent. */
export interface ApiKeyGateway {
  /** The id of the per-caller tier's usage plan on this API stage, or undefined when there is none. */
  findPlan(apiId: string, stage: string, tier: string): Promise<string | undefined>;
  /** Creates an enabled API key with this name and value, or finds the existing one; its id. */
  createKey(name: string, value: string): Promise<string>;
  /** Adds the key to the usage plan; a key already in the plan is not an error. */
  addToPlan(planId: string, keyId: string): Promise<void>;
}

export interface CallerKeyRequest {
  readonly recordId: string;
  readonly keyName: string;
  readonly value: string;
  readonly tier: string;
  /** The API stage of the request: the plan is the tier's plan on it. */
  readonly apiId: string;
  readonly stage: string;
  readonly caller: string;
}

export type RegistrationResult =
  | { readonly ok: true }
  /** `pending`: another container is registering it; `failed`: a store or API Gateway call failed. */
  | { readonly ok: false; readonly cause: 'pending' | 'failed'; readonly error?: string };

export interface CallerKeyRegistrar {
  ensure(request: CallerKeyRequest): Promise<RegistrationResult>;
}

export interface RegistrarOptions {
  readonly records: CallerKeyRecords;
  readonly gateway: ApiKeyGateway;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A claim older than this is taken over. @default 30 000 ms (well over a registration's few calls) */
  readonly staleMs?: number;
  /** How often and how long a container waits for another's registration. @default 5 × 200 ms */
  readonly waitTries?: number;
  readonly waitMs?: number;
}

const REGISTERED: RegistrationResult = { ok: true };

export function createCallerKeyRegistrar(options: RegistrarOptions): CallerKeyRegistrar {
  const { records, gateway } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const staleMs = options.staleMs ?? 30_000;
  const waitTries = options.waitTries ?? 5;
  const waitMs = options.waitMs ?? 200;
  const plans = new Map<string, string>();

  async function planOf(r: CallerKeyRequest): Promise<string> {
    const at = `${r.apiId}/${r.stage}/${r.tier}`;
    let id = plans.get(at);
    if (id === undefined) {
      id = await gateway.findPlan(r.apiId, r.stage, r.tier);
      if (id === undefined) throw new NoPlanError();
      plans.set(at, id);
    }
    return id;
  }

  async function waitForOther(id: string): Promise<RegistrationResult> {
    for (let i = 0; i < waitTries; i++) {
      await sleep(waitMs);
      if ((await records.get(id))?.state === 'registered') return REGISTERED;
    }
    return { ok: false, cause: 'pending' };
  }

  async function register(r: CallerKeyRequest): Promise<RegistrationResult> {
    if ((await records.get(r.recordId))?.state === 'registered') return REGISTERED;
    const claimedAt = now();
    const claim = { tier: r.tier, caller: r.caller, claimedAt };
    if (!(await records.claim(r.recordId, claim, claimedAt - staleMs))) return waitForOther(r.recordId);
    try {
      const planId = await planOf(r);
      const keyId = await gateway.createKey(r.keyName, r.value);
      await gateway.addToPlan(planId, keyId);
      await records.complete(r.recordId, keyId, now());
    } catch (error) {
      await records.release(r.recordId, claimedAt).catch(() => undefined);
      throw error;
    }
    return REGISTERED;
  }

  return {
    async ensure(r) {
      try {
        return await register(r);
      } catch (error) {
        // The error's name (ConflictException, LimitExceededException, ...) only: messages may quote input.
        return { ok: false, cause: 'failed', error: errorName(error) };
      }
    },
  };
}

/** No usage plan of the API stage carries the tier's tag (a stage the construct did not make). */
class NoPlanError extends Error {
  override readonly name = 'NoUsagePlanForTier';
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
