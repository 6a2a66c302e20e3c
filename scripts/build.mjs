// Bundles the CLI (and, from the extension issue on, the extension) and the tests with esbuild.
// Tests are bundled too: execa is ESM-only and Node 20 cannot require() it from CommonJS.
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'linked', logLevel: 'warning' };

function testEntries(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(testEntries(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

rmSync('out', { recursive: true, force: true });

await Promise.all([
  build({ ...common, entryPoints: ['src/cli/ckpt.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
  build({ ...common, entryPoints: [...testEntries('test'), 'bench/checkpointRestore.ts'], outdir: 'out', outbase: '.' }),
]);
