// Bundles the code-server shim that @vscode/test-electron launches in place of VS Code (see runInHost.ts).
// A separate build because scripts/build.mjs only bundles *.test.ts; runInHost runs this before each use.
// Output goes to node_modules/.cache (not out/, which every main build wipes): playwright-core, kept
// external because bundling breaks it (it require()s its own package.json), resolves from there.
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shimPath = join(here, '../../../node_modules/.cache/checkpoint-studio/codeServerShim.js');

const { outputFiles } = await build({
  entryPoints: [join(here, 'codeServerShim.ts')],
  outfile: shimPath,
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['playwright-core'],
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
// Written whole then renamed, so a run starting meanwhile never executes half a file; executable because
// test-electron spawns it directly, as it would spawn the VS Code binary.
mkdirSync(dirname(shimPath), { recursive: true });
const tmp = `${shimPath}.${process.pid}`;
writeFileSync(tmp, outputFiles[0].contents, { mode: 0o755 });
renameSync(tmp, shimPath);
