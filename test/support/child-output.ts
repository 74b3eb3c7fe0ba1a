/** What a command the tests run as a child process printed, and how it ended. */
import type { ChildProcess } from 'node:child_process';

export interface ChildOutput {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Collects the child's stdout and stderr until it closes; writes `stdin` first and ends it when the child
 * was started with a piped stdin.
 */
export function outputOf(child: ChildProcess, stdin?: string): Promise<ChildOutput> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin?.end(stdin ?? '');
  });
}
