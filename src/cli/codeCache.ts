/**
 * Loads a CommonJS bundle (dist/engine.js) with a V8 code cache kept in the user's cache folder, as Node 22's
 * module.enableCompileCache does; the VS Code and Node versions the CLI runs on (20) have none. Compiling the
 * engine is most of what loading it costs (issue 14). The cache is made when the process exits, so it holds the
 * functions the command actually compiled: a cache made at compile time (v8-compile-cache's way) holds almost
 * none of a bundle's, and saved nothing measurable.
 *
 * The cache is code: it is used only from a folder of this user's own that nobody else may write to, and its name
 * holds the sha256 of the bundle, Node's version and the CPU (V8 itself checks only the source's length). Anything
 * amiss (no home, a read-only folder, a cache V8 rejects) loads the bundle without one; it never fails a command.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';

/** `$XDG_CACHE_HOME/checkpoint-studio`, else `~/.cache/checkpoint-studio`. */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : homedir() ? join(homedir(), '.cache') : undefined;
  return base && join(base, 'checkpoint-studio');
}

export interface CodeCacheLoad {
  exports: unknown;
  /** 'used': compiled from the cache; 'made': compiled from source, a cache is written at exit; 'none': neither. */
  cache: 'used' | 'made' | 'none';
}

/** Requires `path` as Node would, compiling it from the code cache in `cacheDir` when there is a good one. */
export function requireWithCodeCache(path: string, cacheDir: string | undefined): CodeCacheLoad {
  const source = readFileSync(path, 'utf8');
  // One cache per bundle and Node version: a new build's replaces the last one's (see writeOwn).
  const prefix = `${basename(path, '.js')}-${process.version}-`;
  const hash = createHash('sha256').update(`${process.version} ${process.arch}\0${source}`).digest('hex').slice(0, 32);
  const file = cacheDir && join(cacheDir, `${prefix}${hash}.v8`);
  const cachedData = file ? readOwn(file) : undefined;
  const script = new Script(Module.wrap(source), { filename: path, cachedData });
  const module = new Module(path, require.main);
  module.filename = path;
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  wrapper.call(module.exports, module.exports, createRequire(path), module, path, dirname(path));
  module.loaded = true;
  const used = cachedData !== undefined && !script.cachedDataRejected;
  if (used || !file) return { exports: module.exports, cache: used ? 'used' : 'none' };
  process.once('exit', () => writeOwn(file, prefix, () => script.createCachedData()));
  return { exports: module.exports, cache: 'made' };
}

/** The file, if it and its folder are this user's and nobody else can write them; else undefined. */
function readOwn(file: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    if (!private_(lstatSync(dirname(file)))) return undefined;
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = fstatSync(fd);
    if (!info.isFile() || !private_(info)) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function private_(info: { uid: number; mode: number; isSymbolicLink(): boolean }): boolean {
  return !info.isSymbolicLink() && info.uid === process.getuid?.() && (info.mode & 0o022) === 0;
}

/**
 * Writes the cache through a temporary file and a rename, so a reader never sees half of one, and removes the
 * caches of earlier builds of the same bundle for the same Node (`prefix`).
 */
function writeOwn(file: string, prefix: string, data: () => Buffer): void {
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!private_(lstatSync(dir))) return;
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, data(), { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
    for (const name of readdirSync(dir)) {
      if (name.startsWith(prefix) && name.endsWith('.v8') && name !== basename(file)) rmSync(join(dir, name), { force: true });
    }
  } catch {
    // No cache this time; the next run compiles from source again.
  }
}
