/** Minimal `--name value` / `--flag` argument parsing for the realm commands (node:util parseArgs). */
import { parseArgs } from 'node:util';

export type ArgSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;

export function parseCli<T extends ArgSpec>(argv: readonly string[], spec: T) {
  return parseArgs({ args: [...argv], options: spec, allowPositionals: false, strict: true })
    .values as unknown as {
    [K in keyof T]: T[K]['type'] extends 'string' ? string | undefined : boolean | undefined;
  };
}
