/**
 * A function process times its handler as Lambda does: the timeout runs from the handler's start, so a
 * slow module load (the init phase) does not count against it; a handler that outlives it is stopped.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startFunctionProcess } from '../../local/assembly/function-process';
import type { FunctionProcess } from '../../local/assembly/function-process';

let fn: FunctionProcess | undefined;
afterEach(() => fn?.close());

/** A handler folder whose module spends `initMs` loading and whose handler waits `event.wait` ms. */
function handlerDir(initMs: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-fn-'));
  fs.writeFileSync(
    path.join(dir, 'index.js'),
    `const until = Date.now() + ${initMs}; while (Date.now() < until) {}
exports.handler = async (event) => { await new Promise((r) => setTimeout(r, event.wait)); return 'done'; };`,
  );
  return dir;
}

describe('function process timeout', () => {
  it('does not count a slow init against the handler timeout', async () => {
    fn = startFunctionProcess({
      name: 'SlowInit',
      codeDir: handlerDir(1500),
      handler: 'index.handler',
      timeoutSeconds: 1,
      environment: {},
    });
    expect(await fn.invoke({ wait: 10 })).toBe('done');
  });

  it('stops a handler that outlives its timeout, and the next call runs in a new process', async () => {
    fn = startFunctionProcess({
      name: 'SlowHandler',
      codeDir: handlerDir(0),
      handler: 'index.handler',
      timeoutSeconds: 1,
      environment: {},
    });
    await expect(fn.invoke({ wait: 3000 })).rejects.toThrow('Task timed out after 1 seconds');
    expect(await fn.invoke({ wait: 10 })).toBe('done');
  });
});
