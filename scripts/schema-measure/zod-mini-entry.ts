import * as z from 'zod/mini';
import type { SchemaKit } from './shape';
import { SAMPLE, configSchema } from './shape';

type Schema = z.ZodMiniType;

const zodMini: SchemaKit<Schema> = {
  literal: (value) => z.literal(value),
  matching: (pattern) => z.string().check(z.regex(pattern)),
  text: (max) => z.string().check(z.minLength(1), z.maxLength(max)),
  startsWith: (prefix) => z.string().check(z.startsWith(prefix)),
  httpsUrl: () => z.url({ protocol: /^https$/ }),
  boolean: () => z.boolean(),
  picklist: (values) => z.enum(values),
  intIn: (min, max) => z.int().check(z.gte(min), z.lte(max)),
  optional: (schema) => z.optional(schema),
  array: (item, minLength) =>
    minLength === undefined ? z.array(item) : z.array(item).check(z.minLength(minLength)),
  strictObject: (entries) => z.strictObject(entries),
  // The options are strict objects with a literal `kind` (configSchema); the kit's type cannot say so.
  variant: (key, options) =>
    z.discriminatedUnion(key, options as unknown as Parameters<typeof z.discriminatedUnion>[1]),
};

const schema = configSchema(zodMini);

export function validate(input: unknown = SAMPLE): boolean {
  return z.safeParse(schema, input).success;
}
