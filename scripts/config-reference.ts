/**
 * Renders what is generated from the stage configuration schema (common/stage-config-schema.ts): the
 * JSON Schema of a Keygate app's `cdk.json` and the field tables of docs/configuration.md. Pure: the
 * writer is scripts/config-docs.ts, and test/common/stage-config-schema.test.ts fails when the checked-in
 * copies differ from these.
 */
import { toJsonSchema } from '@valibot/to-json-schema';
import { format, resolveConfig } from 'prettier';
import type * as v from 'valibot';
import {
  AppConfigSchema,
  BrowserSignInSchema,
  metadataOf,
  StageSchema,
  unwrap,
} from '../common/stage-config-schema';

export const JSON_SCHEMA_PATH = 'schema/keygate-cdk-json.schema.json';
export const CONFIG_DOCS_PATH = 'docs/configuration.md';

/** The JSON Schema of a `cdk.json` whose context carries a `keygate` value, formatted as prettier formats it. */
export async function renderJsonSchema(): Promise<string> {
  const keygate = describeDefaults(toJsonSchema(AppConfigSchema, { errorMode: 'ignore' }));
  delete (keygate as Record<string, unknown>).$schema;
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'cdk.json of a Keygate app',
    description:
      'Generated from common/stage-config-schema.ts by `npm run docs:config`; the `keygate` context is checked in full at `cdk synth`.',
    type: 'object',
    properties: {
      $schema: { type: 'string' },
      context: {
        type: 'object',
        properties: { keygate: keygate },
      },
    },
  };
  const options = (await resolveConfig(JSON_SCHEMA_PATH)) ?? {};
  return format(JSON.stringify(schema), { ...options, filepath: JSON_SCHEMA_PATH });
}

/** Moves each field's `defaultText` into its description, where editors show it. */
function describeDefaults(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(describeDefaults);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(node)) {
    if (k === 'defaultText' || k === 'validate') continue;
    out[k] = describeDefaults(val);
  }
  const d = (node as { defaultText?: unknown }).defaultText;
  if (typeof d === 'string') out.description = `${String(out.description ?? '')}. Default: ${d}.`;
  return out;
}

interface Row {
  readonly field: string;
  readonly type: string;
  readonly meaning: string;
  readonly defaultText: string;
}

/** One row per field, nested objects and list items flattened (`keycloak.issuer`, `routes[].path`). */
function rows(entries: v.ObjectEntries, prefix: string, skip: readonly string[]): Row[] {
  const out: Row[] = [];
  for (const [name, entry] of Object.entries(entries)) {
    if (skip.includes(name)) continue;
    const doc = metadataOf(entry);
    const field = `${prefix}${name}`;
    const inner = unwrap(entry);
    out.push({
      field,
      type: typeOf(entry),
      meaning: doc.description ?? '',
      defaultText: entry.type === 'optional' ? (doc.defaultText ?? 'none') : 'required',
    });
    const item =
      inner.type === 'array' ? unwrap((inner as unknown as { item: v.GenericSchema }).item) : inner;
    const nested = (item as { entries?: v.ObjectEntries }).entries;
    if (nested && !skip.includes(`${name}.*`)) {
      out.push(...rows(nested, `${field}${inner.type === 'array' ? '[]' : ''}.`, []));
    }
  }
  return out;
}

/** A field's type in words. */
export function typeOf(schema: v.GenericSchema): string {
  const s = unwrap(schema) as v.GenericSchema & {
    options?: readonly unknown[];
    literal?: unknown;
    item?: v.GenericSchema;
  };
  const pipe = actionsOf(schema);
  const bound = (t: string) => pipe.find((a) => a.type === t)?.requirement;
  switch (s.type) {
    case 'picklist':
      // Short lists as code alternatives; long ones (methods, retention days) as a plain list.
      return (s.options ?? []).length <= 3
        ? (s.options ?? []).map((o) => `\`${JSON.stringify(o)}\``).join(' \\| ')
        : `one of ${(s.options ?? []).join(', ')}`;
    case 'literal':
      return `\`${JSON.stringify(s.literal)}\``;
    case 'number': {
      const min = bound('min_value');
      const max = bound('max_value');
      const kind = pipe.some((a) => a.type === 'integer') ? 'integer' : 'number';
      return min !== undefined && max !== undefined ? `${kind} ${String(min)}–${String(max)}` : kind;
    }
    case 'array': {
      const item = s.item ? unwrap(s.item) : undefined;
      return item?.type === 'strict_object' || item?.type === 'object'
        ? 'list of objects'
        : `list of ${typeOf(s.item!)}${unwrap(s.item!).type === 'string' ? 's' : ''}`;
    }
    case 'strict_object':
    case 'object':
      return 'object';
    case 'record':
      return 'map';
    default:
      return s.type;
  }
}

/** The actions of every pipe around a field's schema (its checks and metadata). */
function actionsOf(schema: v.GenericSchema): readonly { type: string; requirement?: unknown }[] {
  const out: { type: string; requirement?: unknown }[] = [];
  let s = schema as v.GenericSchema & { wrapped?: v.GenericSchema; pipe?: readonly unknown[] };
  for (;;) {
    if (s.type === 'optional' && s.wrapped) s = s.wrapped as typeof s;
    else if (s.pipe && s.pipe[0] !== s) {
      out.push(...(s.pipe.slice(1) as { type: string; requirement?: unknown }[]));
      s = s.pipe[0] as typeof s;
    } else return out;
  }
}

/** A Markdown table whose columns are padded as prettier pads them. */
function table(headerField: string, body: readonly Row[]): string {
  const cells = [
    [headerField, 'type', 'meaning', 'default'],
    ...body.map((r) => [`\`${r.field}\``, r.type, r.meaning, r.defaultText]),
  ];
  const widths = cells[0].map((_, c) => Math.max(3, ...cells.map((row) => width(row[c]))));
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, c) => cell + ' '.repeat(widths[c] - width(cell))).join(' | ')} |`;
  return [
    line(cells[0]),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** Display width as prettier counts it (code points; the tables hold no wide characters). */
function width(s: string): number {
  return [...s].length;
}

/** The generated tables, by the marker that encloses each in docs/configuration.md. */
export function renderTables(): Record<string, string> {
  return {
    'keygate-fields': table('field (under `keygate`)', rows(AppConfigSchema.entries, '', ['stages.*'])),
    'stage-fields': table(
      'field (under `keygate.stages.<name>`)',
      rows(StageSchema.entries, '', ['browserSignIn.*']),
    ),
    'browser-sign-in-fields': table(
      'field (under `browserSignIn`)',
      rows(BrowserSignInSchema.entries, '', []),
    ),
  };
}

/** `docs` with every generated table replaced by its current rendering. */
export function updateConfigDocs(docs: string): string {
  let out = docs;
  for (const [name, body] of Object.entries(renderTables())) {
    const start = `<!-- generated:${name} start (npm run docs:config) -->`;
    const end = `<!-- generated:${name} end -->`;
    const i = out.indexOf(start);
    const j = out.indexOf(end);
    if (i < 0 || j < i) throw new Error(`${CONFIG_DOCS_PATH} has no ${start} ... ${end} block`);
    out = `${out.slice(0, i + start.length)}\n\n${body}\n\n${out.slice(j)}`;
  }
  return out;
}
