#!/usr/bin/env node
// The merlai-cdk8s command. In a checkout (cli/command.ts present) it runs the TypeScript
// source through esbuild-register, without type-checking, so it never runs a stale build; an
// installed package has only the compiled build/, which it runs.
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const source = path.join(root, 'cli', 'command.ts');
let command;
if (existsSync(source)) {
  require('esbuild-register/dist/node').register({ target: 'node20' });
  command = require(source);
} else {
  command = require(path.join(root, 'build', 'cli', 'command.js'));
}
process.exitCode = command.run(process.argv.slice(2));
