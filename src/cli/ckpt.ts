import { runCli } from './main.js';

const controller = new AbortController();
// The first Ctrl-C (or SIGTERM, from a script or a service manager) cancels the running podman command
// cleanly and removes temporary files; a second one exits at once.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    controller.abort(new Error(signal === 'SIGINT' ? 'interrupted' : 'terminated'));
    process.once(signal, () => process.exit(130));
  });
}

runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t + '\n'),
  stderr: (t) => process.stderr.write(t + '\n'),
  env: process.env,
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code;
});
