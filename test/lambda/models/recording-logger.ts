import type { BackendLogger } from '../../../lambda/models/audit';

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** A BackendLogger that keeps what it was given, for assertions on the audit line. */
export function recordingLogger(): BackendLogger & { lines: LogLine[]; audits(): Record<string, unknown>[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (message, attributes) => lines.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => lines.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => lines.push({ level: 'error', message, attributes }),
    audits: () => lines.filter((l) => l.message === 'model invocation').map((l) => l.attributes),
  };
}
