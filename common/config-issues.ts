/**
 * What the functions' configuration schemas (common/sign-in-config.ts, common/model-backend-config.ts)
 * share: each field's schema carries its one message (`must be ...`), and the issues of a parse become
 * messages that start with the field's path (`models[1].id must match ...`). The same schema runs in the
 * construct at `cdk synth` (which passes `isUnresolved` so values known only at deploy time are skipped)
 * and in the function at cold start.
 *
 * valibot, tree-shaken to the actions these schemas use (bundle figures: docs/architecture.md).
 */
import * as v from 'valibot';

/**
 * The outcome of checking a configuration: the typed value, or every problem found, each message naming
 * its field; `fields[i]` is the field of `errors[i]` (a construct reports it with the error).
 */
export type ConfigCheck<T> = { ok: true; config: T } | { ok: false; errors: string[]; fields: string[] };

export interface ConfigCheckOptions {
  /**
   * Values the check cannot judge yet (CDK tokens at synth time): an issue about such a value is left out.
   * @default - every value is judged
   */
  readonly isUnresolved?: (value: unknown) => boolean;
}

/**
 * Marks an issue whose message already names its field: it comes from a check shared with another
 * validator (the route model's requirement check), which writes the full path itself.
 */
const NAMED = 'named-field';

/** Adds the messages of a shared check that names its own fields (`${at}.x must ...`). */
export function addNamedIssues(
  addIssue: (info: { message: string; expected: string }) => void,
  messages: readonly string[],
): void {
  for (const message of messages) addIssue({ message, expected: NAMED });
}

/**
 * A strict object whose own issues read as the other fields' do: a missing field takes the message of its
 * schema (so `issuer` left out reads as `issuer must be an https URL ...`), an unknown one is named with
 * the known ones (as the stage validator names them), and a value that is no object says so.
 */
export function strictFields<const E extends v.ObjectEntries>(entries: E) {
  // valibot's objects take arrays too: a list where an object belongs is refused first.
  return v.pipe(
    v.custom<Record<string, unknown>>(isJsonObject, 'must be a JSON object'),
    v.strictObject(entries, (issue) => {
      if (issue.expected === 'never') return `is not a known field (${Object.keys(entries).join(', ')})`;
      const key = missingKey(issue);
      const message = key === undefined ? undefined : (entries[key] as { message?: unknown }).message;
      return typeof message === 'string' ? message : 'is required';
    }),
  );
}

/** A JSON object: not null, not a list. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function missingKey(issue: v.StrictObjectIssue): string | undefined {
  if (issue.received !== 'undefined' || !issue.expected?.startsWith('"')) return undefined;
  return JSON.parse(issue.expected) as string;
}

/** An object path item, for issues a check on a whole object raises about one of its fields. */
export function fieldOf(object: Record<string, unknown>, key: string): v.ObjectPathItem {
  return { type: 'object', origin: 'value', input: object, key, value: object[key] };
}

/** An array path item, for issues a check on a whole list raises about one of its items. */
export function itemOf(list: unknown[], index: number): v.ArrayPathItem {
  return { type: 'array', origin: 'value', input: list, key: index, value: list[index] };
}

/** `models[1].id`: the issue's path as the messages write it. */
export function pathOf(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    out += typeof item.key === 'number' ? `[${item.key}]` : `${out ? '.' : ''}${String(item.key)}`;
  }
  return out;
}

/**
 * Checks `input` against `schema`: the parsed value (defaults applied), or one message per issue, each
 * starting with the field's path (`root` for the whole value).
 */
export function checkConfig<const S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  root: string,
  options: ConfigCheckOptions = {},
  /** Written before every path (`keygate.stages.dev.models`), when the value sits inside a larger one. */
  prefix = '',
): ConfigCheck<v.InferOutput<S>> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, config: result.output };
  const errors: string[] = [];
  const fields: string[] = [];
  for (const issue of result.issues) {
    if (options.isUnresolved?.(issue.input)) continue;
    const path = pathOf(issue);
    const field = !path
      ? root
      : !prefix
        ? path
        : path.startsWith('[')
          ? `${prefix}${path}`
          : `${prefix}.${path}`;
    errors.push(issue.expected === NAMED ? issue.message : `${field} ${issue.message}`);
    fields.push(field);
  }
  // Only values known at deploy time were refused: nothing to report yet. The parse output is not typed
  // then, so the input itself is handed back (the construct only needs the verdict).
  return errors.length > 0 ? { ok: false, errors, fields } : { ok: true, config: input as v.InferOutput<S> };
}
