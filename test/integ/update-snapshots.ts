/**
 * `npm run integ:snapshot`: synthesizes every deploy test app (test/integ/integ.*.ts) and rewrites its
 * committed snapshot. Review the diff: each changed template is a change to what the tests deploy.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { integApps, synthIntegApp, writeSnapshot } from './integ-snapshots';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-integ-'));
try {
  for (const app of integApps()) {
    const outdir = path.join(work, app);
    synthIntegApp(app, outdir);
    writeSnapshot(app, outdir);
    console.log(`${app}: snapshot written`);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
