import { runCli } from './main.js';

const controller = new AbortController();
// The first Ctrl-C cancels the running podman command cleanly; a second one exits at once.
process.once('SIGINT', () => {
  controller.abort(new Error('interrupted'));
  process.once('SIGINT', () => process.exit(130));
});

runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t + '\n'),
  stderr: (t) => process.stderr.write(t + '\n'),
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code;
});
