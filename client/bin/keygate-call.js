#!/usr/bin/env node
'use strict';
// Runs the prebuilt command (dist/keygate-call.cjs, made by `npm run build:client`) when it exists, and the
// TypeScript source through tsx otherwise (a clone of this repository, where tsx is a devDependency).
const fs = require('node:fs');
const path = require('node:path');

const built = path.join(__dirname, '..', '..', 'dist', 'keygate-call.cjs');
if (fs.existsSync(built)) {
  require(built);
} else {
  require('tsx/cjs/api').register();
  require(path.join(__dirname, '..', 'run-cli.ts'));
}
