import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');

describe('docs/other-languages.md', () => {
  it('shows, as the Python example, exactly the app test:languages synthesizes', () => {
    const page = fs.readFileSync(path.join(ROOT, 'docs', 'other-languages.md'), 'utf8');
    const app = fs.readFileSync(path.join(ROOT, 'test', 'languages', 'python-app', 'app.py'), 'utf8');
    expect(page).toContain(`\`\`\`python\n${app}\`\`\``);
  });
});
