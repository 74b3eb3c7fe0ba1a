import * as v from 'valibot';
import type { SchemaKit } from './shape';
import { SAMPLE, configSchema } from './shape';

type Schema = v.GenericSchema;

const valibot: SchemaKit<Schema> = {
  literal: (value) => v.literal(value),
  matching: (pattern) => v.pipe(v.string(), v.regex(pattern)),
  text: (max) => v.pipe(v.string(), v.minLength(1), v.maxLength(max)),
  startsWith: (prefix) => v.pipe(v.string(), v.startsWith(prefix)),
  httpsUrl: () => v.pipe(v.string(), v.url(), v.startsWith('https://')),
  boolean: () => v.boolean(),
  picklist: (values) => v.picklist(values),
  intIn: (min, max) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max)),
  optional: (schema) => v.optional(schema),
  array: (item, minLength) =>
    minLength === undefined ? v.array(item) : v.pipe(v.array(item), v.minLength(minLength)),
  strictObject: (entries) => v.strictObject(entries),
  // The options are strict objects with a literal `kind` (configSchema); the kit's type cannot say so.
  variant: (key, options) => v.variant(key, options as unknown as v.VariantOptions<string>),
};

const schema = configSchema(valibot);

export function validate(input: unknown = SAMPLE): boolean {
  return v.safeParse(schema, input).success;
}
