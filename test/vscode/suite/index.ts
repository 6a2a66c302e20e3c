// extensionTestsPath for the extension's own in-host suites: the extension host require()s this and calls run().
const { runMocha } = require('../harness/inHostMocha.js') as { runMocha(dir: string): Promise<void> };

export function run(): Promise<void> {
  return runMocha(__dirname);
}
