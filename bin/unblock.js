#!/usr/bin/env node
// Launcher for the `unblock` CLI (cli/main.ts), with no separate build step.
//
// First run, and the first run after any source edit: bundle cli/main.ts with esbuild into
// node_modules/.cache/unblock/cli-<key>.mjs. Next to it go a manifest naming every file that went
// into the bundle and a snapshot of the exact bytes of the project's files (cli-<key>.src).
// Every run re-checks those files before importing the bundle, so a source edit is never served
// stale:
//   - project files (cli/**, lib/**, package.json, tsconfig, this launcher): byte-for-byte against the
//     snapshot (no hashing, so no `node:crypto` load on the fast path);
//   - installed packages (zod): size + mtime + inode, which any reinstall changes.
// npm packages are bundled too: importing zod's many ESM files costs ~100 ms, the bundle ~10 ms.
//
// Fallbacks: if the cache cannot be written, run the fresh bundle from memory; if esbuild is
// missing, run the TypeScript source through tsx's loader instead (much slower start). UNBLOCK_LAUNCHER=tsx forces that path;
// UNBLOCK_CACHE_DIR=<dir> puts the cache elsewhere (the start-up benchmark uses it to time a cold start).
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'cli', 'main.ts');
const SELF = fileURLToPath(import.meta.url);
const MANIFEST = 'cli-manifest.json';
const MANIFEST_VERSION = 2;
const OLD_BUNDLE_MS = 24 * 60 * 60 * 1000;
/** Files that shape the output without being bundled. */
const EXTRA_INPUTS = [`bin/${basename(SELF)}`, 'tsconfig.json', '.wxt/tsconfig.json'];

/** @param {string} file relative to ROOT, `/`-separated */
const isInstalled = (file) => /(^|\/)node_modules\//.test(file);

/** Size, mtime and inode of an installed file, or 'missing'. @param {string} file */
function statPrint(file) {
  try {
    const s = statSync(join(ROOT, file));
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return 'missing';
  }
}

/** The file's bytes, or null when it cannot be read. @param {string} file */
function readOrNull(file) {
  try {
    return readFileSync(join(ROOT, file));
  } catch {
    return null;
  }
}

/** Where bundles are cached: UNBLOCK_CACHE_DIR, else node_modules/.cache, else a per-project temp dir. */
function cacheDirs() {
  if (process.env.UNBLOCK_CACHE_DIR) return [resolve(process.env.UNBLOCK_CACHE_DIR)];
  let h = 0x811c9dc5; // FNV-1a of ROOT, to keep projects apart in the temp dir
  for (let i = 0; i < ROOT.length; i++) h = Math.imul(h ^ ROOT.charCodeAt(i), 0x01000193) >>> 0;
  return [join(ROOT, 'node_modules', '.cache', 'unblock'), join(tmpdir(), `unblock-cli-${h.toString(16)}`)];
}

/**
 * The cached bundle's path when every input is unchanged, else null.
 * @param {string} dir
 */
function freshBundle(dir) {
  try {
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
    if (manifest?.version !== MANIFEST_VERSION) return null;
    const snapshot = readFileSync(join(dir, manifest.snapshot));
    for (const [file, print] of manifest.installed) if (statPrint(file) !== print) return null;
    for (const [file, offset, length] of manifest.project) {
      const now = readOrNull(file);
      if (length < 0) {
        if (now !== null) return null; // was missing, now exists
      } else if (now === null || !now.equals(snapshot.subarray(offset, offset + length))) {
        return null;
      }
    }
    const bundle = join(dir, manifest.bundle);
    statSync(bundle);
    return bundle;
  } catch {
    return null; // no cache yet, or a broken one: rebuild
  }
}

/** Writes `data` to `file` atomically (temp file + rename), so concurrent runs never see half a file. */
function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.json': 'json' };

/**
 * Bundles the CLI in memory, recording its inputs. Throws on a compile error.
 * @param {typeof import('esbuild')} esbuild
 */
async function bundle(esbuild) {
  // Record exactly the bytes esbuild bundles (read them here, in its onLoad), so an edit made
  // during the build cannot be recorded as built.
  /** @type {Map<string, Buffer | null>} */
  const project = new Map();
  /** @type {Map<string, string>} */
  const installed = new Map();
  /** @type {import('esbuild').Plugin} */
  const recorder = {
    name: 'unblock-record-inputs',
    setup(b) {
      b.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
        const file = relative(ROOT, args.path).split(sep).join('/');
        if (isInstalled(file)) installed.set(file, statPrint(file)); // before reading: errs towards rebuilding
        const contents = readFileSync(args.path);
        if (!isInstalled(file)) project.set(file, contents);
        return { contents, loader: LOADERS[extname(args.path)] ?? 'js' };
      });
    },
  };
  for (const file of EXTRA_INPUTS) project.set(file, readOrNull(file));
  try {
    const result = await esbuild.build({
      absWorkingDir: ROOT,
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: false,
      logLevel: 'silent',
      plugins: [recorder],
    });
    return { code: result.outputFiles[0].contents, project, installed, version: esbuild.version };
  } finally {
    esbuild.stop(); // the CLI does not need the esbuild service any more
  }
}

/**
 * Saves a bundle to the cache `dir` (atomically); returns its path. Throws when `dir` is not writable.
 * @param {string} dir
 * @param {Awaited<ReturnType<typeof bundle>>} built
 */
async function save(dir, built) {
  /** @type {[string, number, number][]} */
  const projectEntries = [];
  /** @type {Buffer[]} */
  const parts = [];
  let offset = 0;
  for (const file of [...built.project.keys()].sort()) {
    const bytes = built.project.get(file) ?? null;
    projectEntries.push([file, offset, bytes ? bytes.length : -1]);
    if (bytes) {
      parts.push(bytes);
      offset += bytes.length;
    }
  }
  const installed = [...built.installed].sort(([a], [b]) => (a < b ? -1 : 1));
  const snapshot = Buffer.concat(parts);
  const { createHash } = await import('node:crypto');
  const key = createHash('sha256')
    .update(built.version)
    .update(JSON.stringify([projectEntries, installed]))
    .update(snapshot)
    .update(built.code)
    .digest('hex')
    .slice(0, 16);
  const name = `cli-${key}`;
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, `${name}.mjs`), built.code);
  writeAtomic(join(dir, `${name}.src`), snapshot);
  const manifest = {
    version: MANIFEST_VERSION,
    esbuild: built.version,
    bundle: `${name}.mjs`,
    snapshot: `${name}.src`,
    project: projectEntries,
    installed,
  };
  writeAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  // Best effort: drop day-old bundles (never fresh ones another run may be importing).
  try {
    for (const f of readdirSync(dir)) {
      if (f.startsWith(`${name}.`) || !/^cli-.*\.(mjs|src|tmp)$/.test(f)) continue;
      const p = join(dir, f);
      if (Date.now() - statSync(p).mtimeMs > OLD_BUNDLE_MS) rmSync(p, { force: true });
    }
  } catch {
    // ignore
  }
  return join(dir, `${name}.mjs`);
}

/** Imports the CLI module: the cached bundle when fresh, a new bundle when not, via tsx as a last resort. */
async function loadCli() {
  if (process.env.UNBLOCK_LAUNCHER !== 'tsx') {
    const dirs = cacheDirs();
    for (const dir of dirs) {
      const fresh = freshBundle(dir);
      if (fresh) return import(pathToFileURL(fresh).href);
    }
    let esbuild = null;
    try {
      esbuild = await import('esbuild');
    } catch {
      // not installed: fall through to tsx
    }
    if (esbuild) {
      const built = await bundle(esbuild);
      for (const dir of dirs) {
        let path;
        try {
          path = await save(dir, built);
        } catch {
          continue; // not writable: try the next place
        }
        return import(pathToFileURL(path).href);
      }
      // No writable cache: run the bundle from memory (it imports only node: built-ins).
      return import(`data:text/javascript;base64,${Buffer.from(built.code).toString('base64')}`);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(ENTRY).href);
}

// `unblock explain … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

try {
  const cli = await loadCli();
  process.exitCode = await cli.main({
    argv: process.argv.slice(2),
    env: process.env,
    // Lazily: touching process.stdin sets up a stream (~5 ms) that `explain FILE` never needs.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
  });
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  const missing = err && typeof err === 'object' && 'code' in err && err.code === 'ERR_MODULE_NOT_FOUND';
  process.stderr.write(
    missing
      ? `unblock: could not start: ${message}\nunblock: running from source needs esbuild or tsx: run \`npm install\` (with dev dependencies) first.\n`
      : `unblock: could not start: ${message}\n`,
  );
  process.exitCode = 1;
}
