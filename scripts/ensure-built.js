#!/usr/bin/env node
// Makes `npm start` / `npm test` work on a fresh clone: installs dependencies
// when node_modules is missing or older than package-lock.json, then runs the
// incremental TypeScript build (a no-op in ~2 s when nothing changed).
//
// `npm install` rather than `npm ci`: npm 11.19's `ci` refuses any lock file
// whose other-platform optional packages (e.g. @swc/core-darwin-arm64) it did
// not record itself, even a freshly generated one; `install` installs the same
// locked versions and tolerates that.
'use strict';
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
const mtime = (p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : 0);

const installed = path.join(root, 'node_modules', '.package-lock.json');
if (mtime(installed) < mtime(path.join(root, 'package-lock.json'))) {
  process.stderr.write('rotor: installing dependencies (npm install, locked versions)...\n');
  run('npm install --no-audit --no-fund');
}
run('npm run --silent build');
