// Bundles the extension, its webview script, the CLI, the tests and the benchmarks with esbuild.
// Tests are bundled too: execa is ESM-only and Node 20 cannot require() it from CommonJS.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'linked', logLevel: 'warning', define: { CKPT_VERSION: JSON.stringify(version) } };

function testEntries(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(testEntries(p));
    else if (name.endsWith('.test.ts') || name.endsWith('.suite.ts') || p === join('test', 'vscode', 'suite', 'index.ts')) out.push(p);
  }
  return out;
}

/** Every benchmark in bench/; checkpointInput.ts is what they share, not one of them. */
function benchEntries() {
  return readdirSync('bench').filter((n) => n.endsWith('.ts') && n !== 'checkpointInput.ts').map((n) => join('bench', n));
}

/**
 * The CLI's engine is a bundle of its own, dist/engine.js, required when a command runs (loadEngine in
 * src/cli/command.ts): `ckpt --version` and `--help` compile the CLI's 40 kB, not the engine's 460 (issue 14).
 * The CLI reaches the engine only through engine/index.ts, so no engine code is left in dist/cli.js. Its import()
 * becomes a require(): through Node's ESM loader the engine's exports would be parsed out of it first (60 ms).
 * That require goes through a V8 code cache (src/cli/codeCache.ts): compiling the engine is most of its load.
 */
const engineApart = {
  name: 'engine-apart',
  setup(b) {
    b.onResolve({ filter: /\/engine\/index\.js$/ }, () => ({ path: 'engine.js', namespace: 'engine-apart' }));
    b.onLoad({ filter: /.*/, namespace: 'engine-apart' }, () => ({
      resolveDir: join(process.cwd(), 'src', 'cli'),
      contents:
        "const { codeCacheDir, requireWithCodeCache } = require('./codeCache.ts');\n" +
        "module.exports = requireWithCodeCache(require('node:path').join(__dirname, 'engine.js'), codeCacheDir(process.env)).exports;\n",
    }));
  },
};

rmSync('out', { recursive: true, force: true });
mkdirSync('dist', { recursive: true });

await Promise.all([
  // What ships is minified (with source maps); tests and scripts stay readable.
  build({ ...common, minify: true, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], metafile: true })
    .then((r) => writeFileSync('dist/extension.meta.json', JSON.stringify(r.metafile))),
  build({ ...common, minify: true, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['src/webview/inspect.ts'], outfile: 'dist/webview/inspect.js' }),
  build({ ...common, minify: true, entryPoints: ['src/cli/ckpt.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, plugins: [engineApart], supported: { 'dynamic-import': false } }),
  build({ ...common, minify: true, entryPoints: ['src/engine/index.ts'], outfile: 'dist/engine.js' }),
  build({ ...common, entryPoints: [...testEntries('test'), ...benchEntries(), 'scripts/demo.ts'], outdir: 'out', outbase: '.', external: ['vscode', 'mocha', 'playwright-core'] }),
]);
