// The extensionTestsPath contract of @vscode/test-electron, inside the extension host: an index module
// exports run(), and calls runMocha(its folder) to run every *.suite.js there with mocha (tdd ui).
// Plain CommonJS so the extension host require()s it directly, desktop VS Code and code-server alike.
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const Mocha = require('mocha');

/** Resolves when all tests pass; rejects (so the window exits non-zero) when any fails. */
exports.runMocha = function runMocha(dir, options = {}) {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 20_000, ...options });
  const files = readdirSync(dir).filter((f) => f.endsWith('.suite.js')).sort();
  if (files.length === 0) return Promise.reject(new Error(`no *.suite.js files in ${dir}`));
  for (const f of files) mocha.addFile(join(dir, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} in-host test(s) failed`)) : resolve()));
  });
};
