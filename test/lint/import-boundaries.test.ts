import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

/** The no-restricted-imports findings of one import line placed in `file` (not written to disk). */
async function restricted(file: string, from: string): Promise<number> {
  const [result] = await eslint.lintText(`import { x } from '${from}';\nexport const y = x;\n`, {
    filePath: resolve(ROOT, file),
  });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').length;
}

describe('import boundaries (npm run lint)', () => {
  it.each([
    ['lib/backends/x.ts', '../../lambda/models/backend-config'],
    ['lib/backends/x.ts', '../app/keygate-stack'],
    ['lib/x.ts', './app'],
    ['lib/backends/x.ts', '../../bin/app'],
    ['lambda/models/x.ts', '../../lib/backends/model-backend'],
    ['lambda/authorizer/x.ts', '../sign-in/sign-in-config'],
    ['lambda/authorizer/x.ts', '../../cli/keygate'],
    ['common/x.ts', '../lambda/models/backend-config'],
    ['common/x.ts', 'aws-cdk-lib'],
  ])('refuses %s importing %s', async (file, from) => {
    expect(await restricted(file, from)).toBe(1);
  });

  it.each([
    ['lib/backends/x.ts', '../../common/model-backend-config'],
    ['lambda/models/x.ts', '../../common/model-backend-config'],
    ['lambda/authorizer/x.ts', '../../common/sign-in-config'],
    ['lib/app/x.ts', '../backends/model-backend'],
  ])('lets %s import %s', async (file, from) => {
    expect(await restricted(file, from)).toBe(0);
  });
});
