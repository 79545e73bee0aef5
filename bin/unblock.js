#!/usr/bin/env node
// Launcher for the `unblock` CLI (lib/cli/main.ts), with no separate build step.
//
// First run (or after any source edit): bundle lib/cli/main.ts with esbuild into
// node_modules/.cache/unblock/cli-<hash>.mjs, next to a manifest listing every file that went
// into it. Every later run re-checks those files and imports the cached bundle only when all of
// them still match, so a source edit is never served stale: project files (and this launcher)
// are compared by SHA-256 of their content (a few ms); files under node_modules (zod) by
// size + mtime + inode, which every `npm install` of another version changes. npm packages are
// bundled too, because importing zod's many ESM files costs ~100 ms, the bundle ~10 ms.
//
// Fallbacks: if esbuild is missing, or the cache cannot be written, run the TypeScript source
// through tsx's loader instead (slower start). UNBLOCK_LAUNCHER=tsx forces that path.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'lib', 'cli', 'main.ts');
const SELF = fileURLToPath(import.meta.url);
const MANIFEST = 'cli-manifest.json';
const STALE_BUNDLE_MS = 24 * 60 * 60 * 1000;

/** @param {string | Uint8Array} data */
function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * What identifies the current version of an input file (relative to ROOT): its content hash,
 * or, for installed packages, its size, mtime and inode.
 * @param {string} file
 */
function fingerprint(file) {
  const path = join(ROOT, file);
  try {
    if (/(^|[\\/])node_modules[\\/]/.test(file)) {
      const s = statSync(path);
      return `${s.size}:${s.mtimeMs}:${s.ino}`;
    }
    return sha256(readFileSync(path));
  } catch {
    return 'missing';
  }
}

/** Where bundles are cached: the project's node_modules/.cache, else a per-project temp dir. */
function cacheDirs() {
  return [
    join(ROOT, 'node_modules', '.cache', 'unblock'),
    join(tmpdir(), `unblock-cli-${sha256(ROOT).slice(0, 12)}`),
  ];
}

/**
 * The cached bundle's path if every input still hashes the same, else null.
 * @param {string} dir
 */
function freshBundle(dir) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8'));
  } catch {
    return null;
  }
  if (!manifest || typeof manifest.bundle !== 'string' || typeof manifest.inputs !== 'object') return null;
  for (const [file, print] of Object.entries(manifest.inputs)) {
    if (fingerprint(file) !== print) return null;
  }
  const bundle = join(dir, manifest.bundle);
  try {
    statSync(bundle);
  } catch {
    return null;
  }
  return bundle;
}

/** Writes `data` to `file` atomically (temp file + rename), so concurrent runs never see half a file. */
function writeAtomic(file, data) {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.json': 'json' };

/** Bundles the CLI into `dir`; returns the bundle path. Throws when esbuild is missing or the build fails. */
async function build(dir) {
  const esbuild = await import('esbuild');
  // Fingerprint exactly the bytes esbuild bundles (read them here), so an edit made while
  // building cannot be recorded as already built.
  /** @type {Record<string, string>} */
  const inputs = {};
  /** @type {import('esbuild').Plugin} */
  const fingerprinting = {
    name: 'unblock-fingerprint',
    setup(b) {
      b.onLoad({ filter: /.*/, namespace: 'file' }, (args) => {
        const file = relative(ROOT, args.path).split(sep).join('/');
        const installed = /(^|\/)node_modules\//.test(file);
        const before = installed ? fingerprint(file) : '';
        const contents = readFileSync(args.path);
        inputs[file] = installed ? before : sha256(contents);
        return { contents, loader: LOADERS[extname(args.path)] ?? 'js' };
      });
    },
  };
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
    plugins: [fingerprinting],
  });
  const code = result.outputFiles[0].contents;
  // This launcher, the TypeScript settings esbuild reads, and the esbuild version shape the output too.
  for (const file of [`bin/${basename(SELF)}`, 'tsconfig.json', '.wxt/tsconfig.json'])
    inputs[file] = fingerprint(file);
  const key = sha256(JSON.stringify([esbuild.version, inputs, code.length])).slice(0, 16);
  const name = `cli-${key}.mjs`;
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, name), code);
  writeAtomic(
    join(dir, MANIFEST),
    JSON.stringify({ bundle: name, esbuild: esbuild.version, inputs }, null, 1),
  );
  // Best effort: drop bundles from older sources (not the fresh ones another run may be importing).
  try {
    for (const f of readdirSync(dir)) {
      if (f === name || !/^cli-.*\.(mjs|tmp)$/.test(f)) continue;
      const p = join(dir, f);
      if (Date.now() - statSync(p).mtimeMs > STALE_BUNDLE_MS) rmSync(p, { force: true });
    }
  } catch {
    // ignore
  }
  return join(dir, name);
}

/** Imports the CLI module, from the cache when fresh, building it when not, via tsx as a last resort. */
async function loadCli() {
  if (process.env.UNBLOCK_LAUNCHER !== 'tsx') {
    const dirs = cacheDirs();
    for (const dir of dirs) {
      const bundle = freshBundle(dir);
      if (bundle) return import(pathToFileURL(bundle).href);
    }
    for (const dir of dirs) {
      let bundle;
      try {
        bundle = await build(dir);
      } catch (err) {
        if (err && typeof err === 'object' && 'errors' in err) throw err; // a real compile error: show it
        continue; // esbuild missing or cache not writable: try the next place, then tsx
      }
      return import(pathToFileURL(bundle).href);
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
    stdin: process.stdin,
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
