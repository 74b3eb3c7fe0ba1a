/** Minimal `--name value` / `--flag` argument parsing for the realm commands (node:util parseArgs). */
import { parseArgs } from 'node:util';

export type ArgSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;

/**
 * Prints `usage` and exits 0 when the arguments ask for help (`--help` or `-h`), before any other parsing,
 * so a command answers `--help` whatever else is on the line.
 */
export function answerHelp(argv: readonly string[], usage: string): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage.trim());
    process.exit(0);
  }
}

export function parseCli<T extends ArgSpec>(argv: readonly string[], spec: T) {
  return parseArgs({ args: [...argv], options: spec, allowPositionals: false, strict: true })
    .values as unknown as {
    [K in keyof T]: T[K]['type'] extends 'string' ? string | undefined : boolean | undefined;
  };
}
