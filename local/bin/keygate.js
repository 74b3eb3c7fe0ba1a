#!/usr/bin/env node
'use strict';
// `keygate local`: runs the prebuilt command (dist/local/index.cjs, made by `npm run build:local`) when it
// exists, and the TypeScript source through tsx otherwise (a clone of this repository). One process either
// way, so a signal to it reaches every server it started.
const fs = require('node:fs');
const path = require('node:path');

const [command, ...rest] = process.argv.slice(2);
if (command !== 'local') {
  const help = command === undefined || command === '--help' || command === '-h';
  (help ? console.log : console.error)(
    'Usage: keygate local [--app cdk.out] [--stack NAME] [--keycloak <https realm URL> | --issuer builtin]\n' +
      '       keygate local --help',
  );
  process.exit(help ? 0 : 1);
}
const built = path.join(__dirname, '..', '..', 'dist', 'local', 'index.cjs');
if (fs.existsSync(built)) {
  require(built).main(rest);
} else {
  require('tsx/cjs/api').register();
  require(path.join(__dirname, '..', 'keygate-cli.ts')).main(rest);
}
