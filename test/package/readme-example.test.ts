import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSUMER_APP_TS } from './consumer-app';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

describe('the README', () => {
  it('shows, as the consumer example, exactly the app the consumer test synthesizes', () => {
    const section = README.slice(
      README.indexOf('<!-- BEGIN library -->'),
      README.indexOf('<!-- END library -->'),
    );
    expect(section).toContain('### A complete example app');
    expect(section).toContain(`\`\`\`ts\n${CONSUMER_APP_TS}\`\`\``);
  });
});
