/**
 * One problem found in a configuration, as every common/ check reports it: the path of the field it is
 * about and the message, written once where the check is. A construct names `path` as the error's field
 * and passes `message` on as written; nothing reads a field back out of a message.
 * Plain data, no dependencies: the authorizer's core bundle carries it.
 */
export interface FieldIssue {
  /**
   * The field, from the top of what was checked: `routes[3].requirement.allOf.clientRoles[0]`,
   * `usageTiers.tiers.batch.quota.period`, `keygate.stages.prod.keycloak.issuer`, `stage`.
   */
  readonly path: string;
  /** The whole message as printed; it names the field. */
  readonly message: string;
}

/**
 * The issue about `path` whose message is the path followed by `rest` (`must be ...`, or `: '...' must ...`
 * when the message quotes the value after a colon).
 */
export function fieldIssue(path: string, rest: string): FieldIssue {
  return { path, message: rest.startsWith(':') ? `${path}${rest}` : `${path} ${rest}` };
}

/** The issues of a check that reports about one field as a whole: each message is about `path`. */
export function issuesAbout(path: string, messages: readonly string[]): FieldIssue[] {
  return messages.map((message) => ({ path, message }));
}

/** The messages of the issues, in order (the form the functions log and the tools print). */
export function messagesOf(issues: readonly FieldIssue[]): string[] {
  return issues.map((i) => i.message);
}

/** An issue for each key of `o` that is not in `known`: `<at>.<key> is not a <noun> (<known, listed>)`. */
export function unknownFieldIssues(
  o: Readonly<Record<string, unknown>>,
  known: readonly string[],
  at: string,
  noun = 'field',
): FieldIssue[] {
  return Object.keys(o)
    .filter((k) => !known.includes(k))
    .map((k) => fieldIssue(`${at}.${k}`, `is not a ${noun} (${known.join(', ')})`));
}
