// `npm run package` (after the build): the VSIX users install, made by the standard packager (@vscode/vsce) from
// what .vscodeignore lets through, and its size. `node scripts/package.mjs OUT.vsix` writes it elsewhere (tests).
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

const { name, version } = JSON.parse(readFileSync('package.json', 'utf8'));
const out = resolve(process.argv[2] ?? `${name}-${version}.vsix`);
// No repository to rewrite README links against: the README's links are absolute or anchors.
execFileSync(process.execPath, ['node_modules/@vscode/vsce/vsce', 'package', '--allow-missing-repository', '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
console.log(`${out}: ${(statSync(out).size / 1024).toFixed(0)} KiB`);
