/**
 * The limits that keep a reader's memory and an extractor's work small (issue 11 item 4): names and link
 * targets together, entries counting the folders their paths imply, and depth. Each is refused the same way by
 * the reader and the extractor, naming the limit and how to raise it; a checkpoint stays far below all of them.
 */
import assert from 'node:assert/strict';
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_ARCHIVE_LIMITS, extractArchive, readCheckpointArchive, type ExtractOptions } from '../../../src/engine/archive/index.js';
import { isEngineError } from '../../../src/engine/index.js';
import { checkpointEntries, pax, Sandbox, tarOf, type RawEntry } from './fixtures.js';

const file = (name: string): RawEntry => ({ name, body: 'x' });
const symlink = (name: string, to: string): RawEntry => ({ name, type: '2', linkname: to });
const deepName = (folders: number) => `${'d/'.repeat(folders)}f`;

interface Case {
  title: string;
  entries: RawEntry[];
  code: string;
  message: RegExp;
  /** The option the hint tells to raise. */
  option?: string;
  options?: ExtractOptions;
}

const cases: Case[] = [
  {
    title: 'names together above maxNameBytes',
    entries: checkpointEntries(Array.from({ length: 40 }, (_, i) => file(`long-${String(i).padStart(3, '0')}-${'n'.repeat(90)}`))),
    code: 'ARCHIVE_LIMIT_EXCEEDED',
    message: /names and link targets take more than 2048 bytes together by entry \d+, "long-/,
    option: 'maxNameBytes',
    options: { maxNameBytes: 2048 },
  },
  {
    title: 'link targets count toward maxNameBytes',
    entries: checkpointEntries(Array.from({ length: 20 }, (_, i) => symlink(`l${i}`, `${'./'.repeat(100)}config.dump`))),
    code: 'ARCHIVE_LIMIT_EXCEEDED',
    message: /names and link targets take more than 2048 bytes/,
    option: 'maxNameBytes',
    options: { maxNameBytes: 2048 },
  },
  {
    title: 'folders a path implies count as entries',
    entries: checkpointEntries([file('a/b/c/d/e/f/g/h/i/j/k')]),
    code: 'ARCHIVE_LIMIT_EXCEEDED',
    message: /holds more than 12 entries, counting the folders their paths imply/,
    option: 'maxEntries',
    options: { maxEntries: 12 },
  },
  {
    title: 'a path deeper than the default 64 folders',
    entries: checkpointEntries([pax({ path: deepName(65) }), file('x')]),
    code: 'ARCHIVE_LIMIT_EXCEEDED',
    message: /"d\/d\/.*" lies 65 folders deep, more than the limit of 64/,
    option: 'maxDepth',
  },
  {
    title: 'a hard link to a path deeper than maxDepth',
    entries: checkpointEntries([{ name: 'h', type: '1', linkname: 'a/b/c' }]),
    code: 'ARCHIVE_LIMIT_EXCEEDED',
    message: /hard link "h" -> "a\/b\/c" lies 2 folders deep, more than the limit of 1/,
    option: 'maxDepth',
    options: { maxDepth: 1 },
  },
  {
    title: 'a file where earlier entries made a folder',
    entries: checkpointEntries([file('a/b'), file('a')]),
    code: 'UNSAFE_ENTRY',
    message: /entry "a" is a file, but earlier entries lie inside it/,
  },
];

describe('archive limits', () => {
  const boxes: Sandbox[] = [];
  after(() => boxes.forEach((b) => b.dispose()));

  for (const c of cases) {
    it(`refuses: ${c.title}`, async () => {
      const box = new Sandbox();
      boxes.push(box);
      const path = box.file(tarOf(c.entries));
      const refused = (err: unknown) => {
        assert.ok(isEngineError(err), `not an EngineError: ${String(err)}`);
        assert.equal(err.code, c.code, err.message);
        assert.match(err.message, c.message);
        if (c.option) {
          const fallback = DEFAULT_ARCHIVE_LIMITS[c.option as keyof typeof DEFAULT_ARCHIVE_LIMITS];
          assert.match(err.hint ?? '', new RegExp(`if you do, raise ${c.option} \\(default ${fallback}\\)`), err.hint);
        }
        return true;
      };
      await assert.rejects(extractArchive(path, box.target, c.options), refused);
      box.assertNothingOutside();
      await assert.rejects(readCheckpointArchive(path, c.options), refused);
    });
  }

  it('a checkpoint 64 folders deep, with folders listed after the files inside them, is read and extracted', async () => {
    const box = new Sandbox();
    boxes.push(box);
    const path = box.file(tarOf(checkpointEntries([pax({ path: `notes/${deepName(63)}` }), file('x'), { name: 'notes/', type: '5' }, { name: 'notes/d/', type: '5' }])));
    const summary = await readCheckpointArchive(path);
    assert.ok(summary.containerName);
    await extractArchive(path, box.target);
    assert.ok(lstatSync(join(box.target, 'notes', deepName(63))).isFile());
  });

  it('the defaults fit checkpoints and keep a reader small', () => {
    assert.equal(DEFAULT_ARCHIVE_LIMITS.maxEntries, 50_000);
    assert.equal(DEFAULT_ARCHIVE_LIMITS.maxNameBytes, 8 << 20);
    assert.equal(DEFAULT_ARCHIVE_LIMITS.maxDepth, 64);
  });
});
