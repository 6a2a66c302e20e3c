/**
 * Issue 11 item 5: a copy whose source fails leaves nothing behind. After each failing copy — a pull from a
 * real loopback registry whose layer is cut, missing or damaged on the way (a fault proxy), of a tag that does
 * not exist, an import of a truncated archive or of one that is no checkpoint, a copy cancelled in the middle —
 * the temporary folder (TMPDIR points to a fresh one per test, so the check is exact) holds nothing, and the
 * destination holds no image and no blob: the store, podman, an archive's folder. Through the engine API as
 * the extension calls it, and through `ckpt` as users run it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { copyImage, createRegistryClient, isEngineError, parseReference, Store, type CopyContext, type EngineError, type ImageReference } from '../../src/engine/index.js';
import { ckptWith } from '../support/cli.js';
import { projectRoot } from '../support/paths.js';
import { startFaultProxy, startRegistry, type Fault, type FaultProxy, type TestRegistry } from '../support/registry.js';
import { ensureStack, podman, testPodman, testResources, uniqueName } from '../support/stack.js';
import { checkpointEntries, tarOf } from '../unit/archive/fixtures.js';

const engine = testPodman();
const TIMEOUT = { timeout: 120_000 };
/** A layer big enough that a pull reports progress inside it (random: it does not compress). */
const PAGES = Buffer.alloc(4 << 20);
for (let i = 0; i < PAGES.length; i += 4) PAGES.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);

describe('no leftovers after a failing copy (issue 11 item 5)', { concurrency: false }, () => {
  const res = testResources();
  const savedTmp = process.env.TMPDIR;
  let reg: TestRegistry;
  let proxy: FaultProxy | undefined;
  let archive: string;
  let layerDigest: string;
  let n = 0;
  /** This test's TMPDIR, a destination store and a folder for archives, all fresh. */
  let tmp: string;
  let dest: string;
  let out: string;

  const ctx = (): CopyContext => ({
    podman: engine,
    store: new Store(dest),
    hostFacts: () => engine.hostFacts(),
    registry: (host) => createRegistryClient({ registry: host, credentials: async () => undefined, backoffMs: 20 }),
  });
  const remote = (host: string, tag = 'v1') => parseReference(`docker://${host}/team/leftovers:${tag}`);
  const podmanName = () => `localhost/leftovers-${process.pid}-${n}:copy`;
  /** The destinations a failing source must leave untouched. */
  const destinations = (): Array<[string, ImageReference]> => [
    ['the store', parseReference('store:copy')],
    ['podman', parseReference(`podman:${podmanName()}`)],
    ['an archive', parseReference(`archive:${join(out, 'copy.tar.zst')}`)],
  ];

  /** Nothing in TMPDIR, and no image or blob in any destination. */
  async function assertNothingLeft(): Promise<void> {
    assert.deepEqual(readdirSync(tmp), [], 'a temporary folder was left behind');
    assert.deepEqual(readdirSync(out), [], 'a partial archive was left behind');
    if (existsSync(join(dest, 'index.json'))) {
      assert.deepEqual((JSON.parse(readFileSync(join(dest, 'index.json'), 'utf8')) as { manifests: unknown[] }).manifests, [], 'an image was tagged');
      assert.deepEqual(readdirSync(join(dest, 'blobs', 'sha256')), [], 'blobs were left in the store');
    }
    assert.equal(await podman('images', '-q', podmanName()), '', 'an image was left in podman');
  }

  /** Copies from `source` (made anew for each destination) into every destination: each fails as `expected`, and leaves nothing. */
  async function refusedEverywhere(source: () => Promise<ImageReference>, expected: (err: EngineError) => boolean) {
    for (const [where, dst] of destinations()) {
      await assert.rejects(copyImage(ctx(), await source(), dst), (err: unknown) => {
        assert.ok(isEngineError(err), `copying into ${where}: not an EngineError: ${String(err)}`);
        assert.ok(expected(err), `copying into ${where}: ${err.code}: ${err.message}`);
        return true;
      });
      await assertNothingLeft();
    }
  }

  /** The image behind a fault proxy of its own, with these faults queued. */
  const throughFaults = (...faults: Fault[]) => async () => {
    await proxy?.stop();
    proxy = await startFaultProxy(reg);
    for (const f of faults) proxy.fail(f);
    return remote(proxy.host);
  };
  const fixed = (ref: ImageReference) => async () => ref;

  before(async () => {
    await ensureStack();
    reg = await startRegistry('none');
    archive = join(res.dir, 'checkpoint.tar');
    writeFileSync(archive, tarOf(checkpointEntries([{ name: 'checkpoint/pages-2.img', body: PAGES }])));
    const source = new Store(join(res.dir, 'source'));
    const built = await source.buildFromArchive(archive, 'web', { host: await engine.hostFacts() });
    layerDigest = built.layer.digest;
    await copyImage({ ...ctx(), store: source }, parseReference('store:web'), remote(reg.host));
  });
  after(async () => {
    process.env.TMPDIR = savedTmp;
    await reg?.stop();
  });
  beforeEach(() => {
    n++;
    tmp = join(res.dir, `tmp-${n}`);
    dest = join(res.dir, `dest-${n}`);
    out = join(res.dir, `out-${n}`);
    for (const d of [tmp, out]) mkdirSync(d);
    // Node's tmpdir() reads TMPDIR on every call: every temporary folder of the engine lands here.
    process.env.TMPDIR = tmp;
  });
  afterEach(async () => {
    process.env.TMPDIR = savedTmp;
    await proxy?.stop();
    proxy = undefined;
  });

  it('a pull whose layer is cut off on every attempt', TIMEOUT, async () => {
    const drop: Fault = { kind: 'drop', afterBytes: 100_000, method: 'GET', match: new RegExp(layerDigest) };
    await refusedEverywhere(throughFaults(...Array.from({ length: 10 }, () => drop)), (e) => e.code === 'REGISTRY_UNREACHABLE');
  });

  it('a pull whose layer is missing from the registry', TIMEOUT, async () => {
    const missing: Fault = { kind: 'status', status: 404, times: 20, method: 'GET', match: new RegExp(layerDigest) };
    await refusedEverywhere(throughFaults(missing), (e) => /^(IMAGE_NOT_FOUND|BLOB_NOT_FOUND|REGISTRY_FAILED)$/.test(e.code));
  });

  it('a pull whose layer arrives damaged on every attempt', TIMEOUT, async () => {
    const corrupt: Fault = { kind: 'corrupt', offset: 1000, method: 'GET', match: new RegExp(layerDigest) };
    await refusedEverywhere(throughFaults(...Array.from({ length: 10 }, () => corrupt)), (e) => e.code === 'DIGEST_MISMATCH');
  });

  it('a pull of a tag the registry does not have', TIMEOUT, async () => {
    await refusedEverywhere(fixed(remote(reg.host, 'no-such-tag')), (e) => e.code === 'IMAGE_NOT_FOUND' || e.code.startsWith('REGISTRY_'));
  });

  it('a pull cancelled in the middle of the layer', TIMEOUT, async () => {
    for (const [where, dst] of destinations()) {
      const controller = new AbortController();
      await assert.rejects(
        copyImage(ctx(), remote(reg.host), dst, {
          signal: controller.signal,
          onProgress: (p) => p.stage.startsWith('blob') && p.bytes > 200_000 && controller.abort(new Error('the user cancelled')),
        }),
        (err: unknown) => isEngineError(err, 'CANCELLED') || assert.fail(`copying into ${where}: ${String(err)}`),
      );
      await assertNothingLeft();
    }
  });

  it('an import of a truncated archive', TIMEOUT, async () => {
    const bytes = readFileSync(archive);
    const truncated = join(res.dir, 'truncated.tar');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 1_000_000));
    await refusedEverywhere(fixed(parseReference(`archive:${truncated}`)), (e) => e.code === 'ARCHIVE_CORRUPT');
  });

  it('an import of an archive that is no checkpoint (its whole layer written before that is known)', TIMEOUT, async () => {
    const notCheckpoint = join(res.dir, 'not-a-checkpoint.tar');
    writeFileSync(notCheckpoint, tarOf([{ name: 'notes.txt', body: PAGES }]));
    await refusedEverywhere(fixed(parseReference(`archive:${notCheckpoint}`)), (e) => e.code === 'NOT_A_CHECKPOINT_ARCHIVE');
  });

  it('an import cancelled in the middle of the archive', TIMEOUT, async () => {
    const bytes = readFileSync(archive);
    for (const [where, dst] of destinations()) {
      // A pipe the test writes into: the copy is surely inside the archive when it is cancelled.
      const fifo = join(res.dir, `slow-${n}-${uniqueName('fifo')}.tar`);
      execFileSync('mkfifo', [fifo]);
      const controller = new AbortController();
      const copying = copyImage(ctx(), parseReference(`archive:${fifo}`), dst, { signal: controller.signal });
      const writer = createWriteStream(fifo);
      writer.on('error', () => undefined); // the reader goes away
      await new Promise<void>((resolve) => writer.write(bytes.subarray(0, 2 << 20), () => resolve()));
      controller.abort(new Error('the user cancelled'));
      writer.destroy();
      await assert.rejects(copying, (err: unknown) => isEngineError(err, 'CANCELLED') || assert.fail(`importing into ${where}: ${String(err)}`));
      await assertNothingLeft();
    }
  });

  it('ckpt image create and ckpt copy of a truncated archive, or of one that is no checkpoint', TIMEOUT, async () => {
    const bytes = readFileSync(archive);
    const truncated = join(res.dir, 'cli-truncated.tar');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 1_000_000));
    const notCheckpoint = join(res.dir, 'cli-not-a-checkpoint.tar');
    writeFileSync(notCheckpoint, tarOf([{ name: 'notes.txt', body: PAGES }]));
    const env = { TMPDIR: tmp, CKPT_STORE: dest };
    for (const file of [truncated, notCheckpoint]) {
      for (const args of [
        ['image', 'create', file, 'store:copy'],
        ['copy', `archive:${file}`, 'store:copy'],
        ['copy', `archive:${file}`, `podman:${podmanName()}`],
        ['copy', `archive:${file}`, `archive:${join(out, 'copy.tar.zst')}`],
      ]) {
        const run = ckptWith(env, ...args);
        assert.notEqual(run.code, 0, `ckpt ${args.join(' ')} succeeded`);
        assert.match(run.stderr, /damaged or truncated|not a complete checkpoint/, run.stderr);
        await assertNothingLeft();
      }
    }
  });
  it('ckpt copy stopped with SIGTERM (a script, a service manager) removes what it made, like Ctrl-C', TIMEOUT, async () => {
    const fifo = join(res.dir, `term-${uniqueName('fifo')}.tar`);
    execFileSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [join(projectRoot(), 'dist', 'cli.js'), 'copy', `archive:${fifo}`, `archive:${join(out, 'copy.tar.zst')}`], {
      env: { ...process.env, TMPDIR: tmp, CKPT_STORE: dest },
      stdio: 'ignore',
    });
    const writer = createWriteStream(fifo);
    writer.on('error', () => undefined);
    await new Promise<void>((resolve) => writer.write(readFileSync(archive).subarray(0, 2 << 20), () => resolve()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    // The copy's read of the pipe ends when the writer goes, as when the source of a real pipe stops.
    writer.destroy();
    const code = await exited;
    assert.equal(code, 130);
    await assertNothingLeft();
  });
});
