/**
 * The reason code of each authorizer decision, read from the decision lines a Keygate authorizer logs
 * (`"message":"authorizer decision"`, lambda/authorizer/decision-log.ts) and keyed by the request id the
 * gateway gave the event (`correlation_id`), so a request's record can name why the authorizer answered as
 * it did. Lines of other authorizers are ignored.
 *
 * Cache: one entry per decision until the gateway's record of that request takes it; bounded, the oldest
 * dropped first, for decisions no record takes (a request the client abandoned).
 */
const MAX_PENDING = 1000;

export interface AuthorizerDecisions {
  /** Feeds what an authorizer function wrote to stdout. */
  read(text: string): void;
  /** The reason of the decision on request `requestId`, once. */
  take(requestId: string): string | undefined;
}

export function authorizerDecisions(): AuthorizerDecisions {
  const reasons = new Map<string, string>();
  let partial = '';
  return {
    read(text) {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"authorizer decision"')) continue;
        let parsed: { message?: unknown; correlation_id?: unknown; reason?: unknown };
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          continue;
        }
        if (parsed.message !== 'authorizer decision') continue;
        if (typeof parsed.correlation_id !== 'string' || typeof parsed.reason !== 'string') continue;
        reasons.set(parsed.correlation_id, parsed.reason);
        if (reasons.size > MAX_PENDING) reasons.delete(reasons.keys().next().value as string);
      }
    },
    take(requestId) {
      const reason = reasons.get(requestId);
      reasons.delete(requestId);
      return reason;
    },
  };
}
