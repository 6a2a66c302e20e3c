/// <reference types="mocha" />
/**
 * Compare with… inside the real extension host: two real checkpoint images of one container (podman + CRIU,
 * leave running), taken before and after its shell started another process; the compare page names the added
 * process with its command line, a hostile file name shows as text, and an image compared with itself shows no differences.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ComparePanel } from '../../../src/extension/webview/ComparePanel.js';
import { activateExtension, podman, until } from './host.js';

const run = Date.now().toString(36);
const container = `inhost-cmp-${run}`;
const before = `localhost/inhost-cmp-${run}:before`;
const after = `localhost/inhost-cmp-${run}:after`;
/** What the shell starts on USR1, between the two checkpoints. */
const ADDED = 'sleep 525252';
/** A file the container makes between the checkpoints, named to break out of the page if it were not escaped. */
const HOSTILE = '/tmp/<img src=x onerror=alert(1)>\u202e.txt';

suite('Compare with… in the extension host', function () {
  this.timeout(120_000);

  suiteSetup(async () => {
    await activateExtension();
    // Every process of the first checkpoint is still there at the second: the shell waits on a sleep.
    const script = [`trap '${ADDED} & touch /tmp/started' USR1`, 'sleep 100000 &', 'touch /tmp/ready', 'while :; do wait; done'].join('\n');
    podman('run', '-d', '--name', container, '--label', `io.checkpoint-studio.test=${process.pid}`, 'localhost/busybox:latest', 'sh', '-c', script);
    await until('the shell to wait', () => podman('exec', container, 'sh', '-c', 'test -f /tmp/ready && echo ok || true') === 'ok');
    podman('container', 'checkpoint', '--leave-running', '--create-image', before, container);
    podman('exec', container, 'touch', HOSTILE);
    podman('kill', '--signal', 'USR1', container);
    await until('the added process', () => podman('exec', container, 'sh', '-c', 'test -f /tmp/started && echo ok || true') === 'ok');
    podman('container', 'checkpoint', '--leave-running', '--create-image', after, container);
  });

  suiteTeardown(() => {
    podman('rm', '-f', '-t', '0', '--ignore', container);
    podman('rmi', '-f', '--ignore', before, after);
  });

  test('the compare page names the process the second checkpoint adds, with its command line', async () => {
    const panel = (await vscode.commands.executeCommand('checkpointStudio.compareCheckpoints', { image: before, with: after })) as ComparePanel | undefined;
    assert.ok(panel, 'no compare panel (see the Checkpoint Studio log)');
    const { a, b, diff, sections } = panel.model;
    assert.deepEqual([a, b, diff.a, diff.b], [before, after, before, after]);
    const added = diff.processes.added.find((p) => p.cmdline?.join(' ') === ADDED);
    assert.ok(added, `no added ${ADDED}: ${JSON.stringify(diff.processes)}`);
    assert.equal(added.ppid, 1);
    const processes = sections.find((s) => s.title === 'Processes');
    assert.ok(processes?.lines.some((l) => l.sign === '+' && l.text === `[${added.pid}] sleep: ${ADDED} (parent 1)`), JSON.stringify(processes));
    assert.match(panel.html, new RegExp(`<span class="sign">\\+</span>\\[${added.pid}\\] sleep: ${ADDED} \\(parent 1\\)`));
    // Only the extension's own stylesheets: no inline style, no script at all.
    assert.match(panel.html, /Content-Security-Policy" content="default-src 'none'; style-src [^;]*; img-src/);
    assert.doesNotMatch(panel.html, /<script|<img|<style|script-src|unsafe-inline|nonce/);
    // The name shows as written, the bidi override as an escape (as the CLI prints it).
    assert.ok(panel.html.includes('+</span>&#34;/tmp/&#60;img src=x onerror=alert(1)&#62;\\u202e.txt&#34; (0 B)'), panel.html);
  });

  test('an image compared with itself shows no differences', async () => {
    const panel = (await vscode.commands.executeCommand('checkpointStudio.compareCheckpoints', { image: after, with: after })) as ComparePanel | undefined;
    assert.ok(panel, 'no compare panel');
    assert.equal(panel.model.diff.equal, true);
    assert.deepEqual(panel.model.sections, []);
    assert.match(panel.html, /No differences\./);
  });
});
