import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { runCli } from '../../src/cli/main.js';
import { terminalSafeChannel } from '../../src/extension/adapters/logger.js';
import { table } from '../../src/shared/format.js';
import { notificationSafe, terminalSafe } from '../../src/shared/terminalSafe.js';

/** Any character a terminal acts on, or that reorders what it shows. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('terminalSafe', () => {
  it('shows CSI sequences instead of running them: erase line, cursor up, colours', () => {
    assert.equal(terminalSafe('ok\x1b[2K\x1b[1Ahidden'), 'ok\\u001b[2K\\u001b[1Ahidden');
    assert.equal(terminalSafe('\x1b[31mred\x1b[0m'), '\\u001b[31mred\\u001b[0m');
  });

  it('shows an OSC 8 hyperlink and a BEL', () => {
    const link = '\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07';
    assert.equal(terminalSafe(link), '\\u001b]8;;https://evil.example/\\u0007click\\u001b]8;;\\u0007');
    assert.equal(terminalSafe('\x1b]8;;https://x/\x1b\\y'), '\\u001b]8;;https://x/\\u001b\\y');
  });

  it('escapes C1 controls (U+009B is a one-character CSI) and DEL', () => {
    assert.equal(terminalSafe('a\u009b2Kb'), 'a\\u009b2Kb');
    assert.equal(terminalSafe('\u0080\u009f\u0085'), '\\u0080\\u009f\\u0085');
    assert.equal(terminalSafe('x\x7fy'), 'x\\u007fy');
  });

  it('escapes bidi embeddings, overrides and isolates', () => {
    assert.equal(terminalSafe('safe\u202egpj.exe'), 'safe\\u202egpj.exe');
    for (const c of ['\u202a', '\u202b', '\u202c', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069']) {
      assert.equal(terminalSafe(c), `\\u${c.charCodeAt(0).toString(16)}`);
    }
  });

  it('keeps newlines, tabs and CRLF; a lone carriage return is escaped (it would overwrite the line)', () => {
    assert.equal(terminalSafe('a\tb\nc\r\nd'), 'a\tb\nc\r\nd');
    assert.equal(terminalSafe('warning: x\rall good'), 'warning: x\\u000dall good');
    assert.equal(terminalSafe('\0\b\f\v'), '\\u0000\\u0008\\u000c\\u000b');
  });

  it('leaves ordinary Unicode alone: accents, CJK, emoji, right-to-left script', () => {
    for (const s of ['café é', '检查点 チェック', '🐳 📦 👩‍💻', 'שלום عربى', 'C:\\Users\\x', '\\u001b as text', '']) {
      assert.equal(terminalSafe(s), s);
    }
  });

  it('is idempotent, and keeps JSON valid and meaning the same', () => {
    const hostile = 'a\x1b[2K\u009b\x7f\u202e\x07b';
    assert.equal(terminalSafe(terminalSafe(hostile)), terminalSafe(hostile));
    assert.doesNotMatch(terminalSafe(hostile), UNSAFE);
    const json = terminalSafe(JSON.stringify({ v: hostile }, null, 2));
    assert.doesNotMatch(json, UNSAFE);
    assert.equal((JSON.parse(json) as { v: string }).v, hostile);
  });
});

describe('notificationSafe', () => {
  it('breaks markdown links, so a registry message cannot plant a command link in a notification', () => {
    const shown = notificationSafe('denied: [Open Settings](command:workbench.action.terminal.sendSequence?%7B%7D) \u001b[2K');
    assert.ok(!shown.includes(']('), shown);
    assert.equal(shown, 'denied: [Open Settings]\u200b(command:workbench.action.terminal.sendSequence?%7B%7D) \\u001b[2K');
  });

  it('leaves plain messages as they are', () => {
    assert.equal(notificationSafe('registry 127.0.0.1:5000 refused the credentials (401)'), 'registry 127.0.0.1:5000 refused the credentials (401)');
  });
});

describe('table', () => {
  it('measures a hostile cell as it prints, so the columns after it stay aligned', () => {
    const lines = table(['NAME', 'SIZE'], [['a\u001b[2Kb', '1 B'], ['plain', '2 B']]).split('\n');
    assert.equal(lines[1]!.indexOf('1 B'), lines[2]!.indexOf('2 B'));
  });
});

describe('output boundaries escape what passes them', () => {
  it('the CLI: a hostile command name comes back escaped on stderr', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['no\x1b[2Ksuch\u202e'], {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      env: {},
      signal: new AbortController().signal,
    });
    assert.equal(code, 2);
    assert.match(err.join('\n'), /unknown command no\\u001b\[2Ksuch\\u202e/);
    assert.doesNotMatch(err.join('\n'), UNSAFE);
  });

  it('the output channel: every way of writing escapes, message and arguments', () => {
    const lines: string[] = [];
    const fake = Object.fromEntries(
      ['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace'].map((m) => [m, (v: string) => lines.push(`${m}:${v}`)]),
    ) as unknown as vscode.LogOutputChannel;
    const log = terminalSafeChannel(fake);
    log.info('image \x1b[2K', 'arg\u009b', { k: '\u202e' });
    log.warn('w\x07');
    log.error(new Error('boom\x1b]8;;x\x07'));
    log.appendLine('l\x7f');
    for (const line of lines) assert.doesNotMatch(line, UNSAFE);
    assert.equal(lines[0], 'info:image \\u001b[2K arg\\u009b {"k":"\\u202e"}');
    assert.equal(lines[1], 'warn:w\\u0007');
    assert.match(lines[2]!, /^error:Error: boom\\u001b\]8;;x\\u0007\n/);
    assert.equal(lines[3], 'appendLine:l\\u007f');
  });
});
