/**
 * What `ckpt inspect` shows of a checkpoint, from small hand-made CRIU images: the process tree, credentials,
 * files and sockets of every kind the model reads, memory maps, argv and environ out of the pages (read by
 * offset from a folder, picked out of an archive as it streams, in one pass or two), and damaged images as notes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { readArchiveContents, readFolderContents } from '../../src/engine/criu/readContents.js';
import { decodeCore } from '../../src/engine/criu/images.js';
import { isEngineError } from '../../src/engine/index.js';
import { tarOf, type RawEntry } from './archive/fixtures.js';
import {
  CORE_MAGIC, coreImage, criuImage, fdinfoImage, fileEntry, filesImage, fsImage, inventoryPerId, mmImage, mountpointsImage, PAGE, pagemapImage, pb, pstreeImage, taskIdsImage, ttyInfoImage,
} from '../support/criuImages.js';

const STACK = 0x7ffd00000000n;
const AF_INET = 2;
const AF_INET6 = 10;
/** 127.0.0.1 and ::1 as CRIU keeps them: network-order bytes read as little-endian words. */
const LOOPBACK4 = [0x0100007f];
const LOOPBACK6 = [0, 0, 0, 0x01000000];

/** pages-1.img: argv at 0x100 and environ at 0x200 of the one page of pid 1's stack. */
function pagesOfShell(): Buffer {
  const page = Buffer.alloc(PAGE);
  page.write('sh\0-c\0echo hi\0', 0x100);
  page.write('SECRET=42\0PATH=/bin\0', 0x200);
  return page;
}

/** A checkpoint/ folder's images: sh (1) → httpd (7) → worker (9, two threads); 7 and 9 share a files table. */
function images(): Record<string, Buffer> {
  const shellMm = { argStart: STACK + 0x100n, argEnd: STACK + 0x10en, envStart: STACK + 0x200n, envEnd: STACK + 0x214n };
  return {
    'inventory.img': inventoryPerId(),
    'pstree.img': pstreeImage({ pid: 1, ppid: 0 }, { pid: 7, ppid: 1 }, { pid: 9, ppid: 7, threads: [9, 12] }),
    'core-1.img': coreImage({ comm: 'sh' }),
    'core-7.img': coreImage({ comm: 'httpd' }),
    'core-9.img': criuImage(CORE_MAGIC, Buffer.from([0x2a, 0x05, 0x01])), // cut short
    'ids-1.img': taskIdsImage(2),
    'ids-7.img': taskIdsImage(3),
    'ids-9.img': taskIdsImage(3),
    'fs-1.img': fsImage(1, 1),
    'fs-7.img': fsImage(11, 1),
    'files.img': filesImage(
      fileEntry.reg(1, '/'),
      fileEntry.reg(2, '/tmp/open.txt', 5),
      fileEntry.pipe(3, 4242),
      fileEntry.inet(4, { family: AF_INET, proto: 6, state: 10, src: [0], srcPort: 8080 }),
      fileEntry.unix(5, Buffer.from('\0ctl')),
      fileEntry.eventfd(6, 3),
      fileEntry.epoll(7, 4),
      fileEntry.tty(8, 20),
      fileEntry.signalfd(9),
      fileEntry.inet(10, { family: AF_INET6, proto: 6, state: 1, src: LOOPBACK6, srcPort: 443, dst: LOOPBACK6, dstPort: 50000 }),
      fileEntry.reg(11, '/www'),
      fileEntry.inet(12, { family: AF_INET, proto: 17, state: 7, src: LOOPBACK4, srcPort: 53 }),
      Buffer.concat([fileEntry.unix(13, Buffer.from('/run/s.sock'), 1, 705), pb([99, 7])]), // an unknown field: skipped
    ),
    'tty-info.img': ttyInfoImage(20, 0),
    'fdinfo-2.img': fdinfoImage(
      { fd: 0, id: 8, type: 11 }, { fd: 1, id: 3, type: 2 }, { fd: 3, id: 2, type: 1 }, { fd: 5, id: 7, type: 7 }, { fd: 6, id: 6, type: 6 },
      { fd: 7, id: 9, type: 9 }, { fd: 8, id: 99, type: 1 },
    ),
    'fdinfo-3.img': fdinfoImage({ fd: 4, id: 4, type: 4 }, { fd: 5, id: 5, type: 5 }, { fd: 6, id: 10, type: 4 }, { fd: 7, id: 12, type: 4 }, { fd: 8, id: 13, type: 5 }),
    'mm-1.img': mmImage({ ...shellMm, vmas: [{ start: 0x1000000n, end: 0x1021000n, status: (1 << 5) | 1 }, { start: STACK, end: STACK + 0x21000n, status: (1 << 9) | 1, flags: 0x122 }] }),
    'pagemap-1.img': pagemapImage(1, { vaddr: STACK, pages: 1 }),
    'mm-7.img': mmImage({ argStart: STACK + 0x10n, argEnd: STACK + 0x20n, envStart: 0n, envEnd: 0n, vmas: [] }),
    'pagemap-7.img': pagemapImage(2, { vaddr: STACK, pages: 1, present: false }),
    'mountpoints-13.img': mountpointsImage(),
    'pages-1.img': pagesOfShell(),
    'pages-2.img': Buffer.alloc(0),
  };
}

const root = mkdtempSync(join(tmpdir(), 'ckpt-contents-'));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(files: Record<string, Buffer>): string {
  const dir = mkdtempSync(join(root, 'ckpt-'));
  mkdirSync(join(dir, 'checkpoint'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, 'checkpoint', name), bytes);
  return dir;
}

/** An archive of the images in `order` (pages last unless the order says otherwise). */
function archive(files: Record<string, Buffer>, order = Object.keys(files)): string {
  const path = join(mkdtempSync(join(root, 'tar-')), 'c.tar');
  const entries: RawEntry[] = [{ name: 'checkpoint/', type: '5' }, ...order.map((name) => ({ name: `checkpoint/${name}`, body: files[name]! }))];
  writeFileSync(path, tarOf(entries));
  return path;
}

describe('checkpoint contents', () => {
  it('reads the process tree, credentials, files, sockets and memory maps (folder)', async () => {
    const c = await readFolderContents(folder(images()), { memory: true });
    assert.deepEqual(c.inventory, { imageVersion: 2, fdinfoPerId: true, lsm: 'none' });
    assert.deepEqual(c.processes.map((p) => [p.pid, p.ppid, p.comm, p.state, p.threads]), [[1, 0, 'sh', 'alive', [1]], [7, 1, 'httpd', 'alive', [7]], [9, 7, '', 'unknown (0)', [9, 12]]]);
    const [sh, httpd, worker] = c.processes;
    assert.equal(sh!.seccomp, 'filter');
    assert.ok(sh!.creds!.capabilities.effective.includes('CAP_NET_BIND_SERVICE'));
    assert.deepEqual([sh!.cwd, sh!.root, httpd!.cwd], ['/', '/', '/www']);
    assert.deepEqual(sh!.fds, [
      { fd: 0, kind: 'tty', type: 'pty', path: '/dev/pts/0' },
      { fd: 1, kind: 'pipe', pipeId: 4242 },
      { fd: 3, kind: 'file', path: '/tmp/open.txt', pos: 5, size: 12, mode: undefined },
      { fd: 5, kind: 'epoll', targets: [4] },
      { fd: 6, kind: 'eventfd', counter: '3' },
      { fd: 7, kind: 'other', type: 'signalfd' },
    ]);
    assert.deepEqual(httpd!.fds, [
      { fd: 4, kind: 'inet', family: 'ipv4', protocol: 'tcp', state: 'listen', inode: 904, local: { address: '0.0.0.0', port: 8080 }, remote: { address: '0.0.0.0', port: 0 } },
      { fd: 5, kind: 'unix', type: 'stream', state: 'listen', name: '@ctl', inode: 705, peer: undefined },
      { fd: 6, kind: 'inet', family: 'ipv6', protocol: 'tcp', state: 'established', inode: 910, local: { address: '::1', port: 443 }, remote: { address: '::1', port: 50000 } },
      { fd: 7, kind: 'inet', family: 'ipv4', protocol: 'udp', state: 'close', inode: 912, local: { address: '127.0.0.1', port: 53 }, remote: { address: '0.0.0.0', port: 0 } },
      { fd: 8, kind: 'unix', type: 'stream', state: 'established', name: '/run/s.sock', inode: 713, peer: 705 },
    ]);
    assert.deepEqual(worker!.fds, httpd!.fds, 'a shared files table');
    assert.deepEqual(sh!.memory, {
      vmas: [{ start: '0x1000000', end: '0x1021000', perms: 'rw-p', kind: 'heap' }, { start: '0x7ffd00000000', end: '0x7ffd00021000', perms: 'rw-p', kind: 'stack' }],
      dumpedBytes: PAGE,
    });
    assert.deepEqual(sh!.cmdline, ['sh', '-c', 'echo hi']);
    assert.deepEqual(sh!.environment, ['SECRET=42', 'PATH=/bin']);
    assert.equal(httpd!.cmdline, undefined, 'its pages are not in the checkpoint');
    assert.ok(c.mounts.some((m) => m.mountpoint === '/proc' && m.type === 'proc' && !m.readOnly));
    assert.ok(c.mounts.find((m) => m.mountpoint === '/sys')!.readOnly);
    assert.deepEqual(c.notes, [
      'fdinfo-2.img: descriptor 8 (REG) has no readable entry 99 in files.img; not shown',
      'core-9.img is not a CRIU core image: entry 1: a field runs past the end of the message; not shown',
      'process 7: 16 bytes of its cmdline are not in this checkpoint\'s memory pages',
    ]);
    assert.equal(c.stats.pageBytesRead, 0x0e + 0x14);
  });

  it('reads the same from an archive, picking argv and environ out of the streamed pages', async () => {
    const files = images();
    const fromFolder = await readFolderContents(folder(files), { memory: true });
    const one = await readArchiveContents(archive(files), { memory: true });
    assert.deepEqual({ ...one, stats: undefined }, { ...fromFolder, stats: undefined });
    assert.deepEqual(one.stats, { archivePasses: 1, pageBytesRead: 0x0e + 0x14 });
    // Pages before the maps that locate them: a second pass over the file.
    const order = ['pages-1.img', ...Object.keys(files).filter((n) => n !== 'pages-1.img')];
    const two = await readArchiveContents(archive(files, order), { memory: true });
    assert.deepEqual(two.processes[0]!.cmdline, ['sh', '-c', 'echo hi']);
    assert.equal(two.stats.archivePasses, 2);
    // …which a stream cannot have: said, not failed.
    const streamed = await readArchiveContents(Readable.from([tarOf([{ name: 'checkpoint/', type: '5' }, ...order.map((n) => ({ name: `checkpoint/${n}`, body: files[n]! }))])]), { memory: true });
    assert.equal(streamed.processes[0]!.cmdline, undefined);
    assert.match(streamed.notes.join('\n'), /a stream cannot be read twice/);
  });

  it('a second checkpoint into the same folder: leftover images of a process gone since do not take its pages file', async () => {
    // Podman re-checkpoints into the folder it used: pid 5 is gone, but its pagemap still names pages file 1,
    // which CRIU has since written for pid 1.
    const files = { ...images(), 'mm-5.img': mmImage({ argStart: STACK, argEnd: STACK + 0x10n, envStart: 0n, envEnd: 0n, vmas: [] }), 'pagemap-5.img': pagemapImage(1, { vaddr: STACK + 0x100000n, pages: 1 }) };
    for (const c of [await readArchiveContents(archive(files), { memory: true }), await readFolderContents(folder(files), { memory: true })]) {
      assert.deepEqual(c.processes[0]!.cmdline, ['sh', '-c', 'echo hi']);
      assert.deepEqual(c.processes[0]!.environment, ['SECRET=42', 'PATH=/bin']);
      assert.ok(!c.processes.some((p) => p.pid === 5));
    }
  });

  it('skips the pages unless asked', async () => {
    const c = await readArchiveContents(archive(images()));
    assert.equal(c.processes[0]!.cmdline, undefined);
    assert.equal(c.stats.pageBytesRead, 0);
    assert.ok(!c.notes.some((n) => /memory pages/.test(n)));
  });

  it('shows what it can of damaged and missing images, and says what it skipped', async () => {
    const files = images();
    files['files.img'] = Buffer.concat([filesImage(fileEntry.reg(1, '/')), Buffer.from([4, 0, 0, 0, 0x0a, 0x05, 0x01, 0x02])]);
    delete files['pstree.img'];
    let c = await readFolderContents(folder(files));
    assert.deepEqual(c.processes, []);
    assert.match(c.notes.join('\n'), /pstree\.img is missing/);
    files['pstree.img'] = pstreeImage({ pid: 1, ppid: 0 });
    c = await readFolderContents(folder(files));
    assert.match(c.notes.join('\n'), /files\.img: entry 2: field 1 has wire type 2, where its type takes 0; skipped/);
    assert.equal(c.processes[0]!.cwd, '/', 'the entries before it are read');
    // Too large to read: a note, not a failure.
    files['mm-1.img'] = Buffer.alloc((4 << 20) + 1);
    c = await readArchiveContents(archive(files), { memory: true });
    assert.match(c.notes.join('\n'), /mm-1\.img is 4194305 bytes, more than the 4194304 a CRIU image may take; not read/);
    await assert.rejects(readArchiveContents(archive(files), { maxImagesBytes: 1000 }), (err) => isEngineError(err) && err.code === 'ARCHIVE_LIMIT_EXCEEDED');
  });

  it('a process tree with a forged cycle still lists every process once', async () => {
    const files = { ...images(), 'pstree.img': pstreeImage({ pid: 1, ppid: 7 }, { pid: 7, ppid: 1 }) };
    const c = await readFolderContents(folder(files));
    assert.deepEqual(c.processes.map((p) => p.pid), [1, 7]);
  });
});

describe('the guard before protobufjs decodes', () => {
  it('refuses a singular embedded message given twice (protobuf-c and protobufjs would merge it differently)', () => {
    const thread = pb([11, 2]);
    assert.throws(() => decodeCore(criuImage(CORE_MAGIC, pb([1, 1], [5, thread], [5, pb([11, 0])])), 'c'), /entry 1: field 5 occurs 2 times in one message/);
  });

  it('skips unknown fields at every depth, as CRIU does', () => {
    const core = decodeCore(criuImage(CORE_MAGIC, pb([1, 1], [77, 'x'], [3, pb([6, 'sh'], [99, 1])], [5, pb([11, 2], [50, Buffer.alloc(3)])])), 'c');
    assert.deepEqual([core.comm, core.seccompMode], ['sh', 2]);
  });
});
