/**
 * A fresh project that depends on the packed dicomflow tarball, installed the
 * way a user installs it but offline: its lockfile lists the tarball and the
 * exact versions of this repository's lockfile (minus development-only
 * packages), so `npm ci --offline` takes every package from the npm cache the
 * repository's own install filled. Install scripts are off, as npm 11 has them
 * for dependencies unless the user approves each one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface LockEntry {
  dev?: boolean;
  [k: string]: unknown;
}

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, timeoutMs = 300_000) {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
}

/** `npm pack` of this repository's current dist/ (no prepack: the test run already built it). */
export function packTarball(): { tgz: string; files: string[]; size: number } {
  const out = mkdtempSync(join(tmpdir(), 'dicomflow-pack-'));
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], ROOT);
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  const info = (JSON.parse(r.stdout) as { filename: string; size: number; files: { path: string }[] }[])[0]!;
  return { tgz: join(out, info.filename), files: info.files.map((f) => f.path), size: info.size };
}

/** A new project folder with dicomflow installed from `tgz`; returns the folder and npm's output. */
export function installConsumer(tgz: string): { dir: string; status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-consumer-'));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>> & { version: string };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { dicomflow: `file:${tgz}` } },
    'node_modules/dicomflow': {
      version: pkg.version,
      resolved: `file:${tgz}`,
      dependencies: pkg.dependencies,
      optionalDependencies: pkg.optionalDependencies ?? {},
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path.startsWith('node_modules/') && !entry.dev) packages[path] = entry;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { dicomflow: `file:${tgz}` } }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'consumer', lockfileVersion: 3, requires: true, packages }, null, 2));
  const r = run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], dir);
  return { dir, status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/** The README's code blocks whose info string is `js runnable`, in order. */
export function runnableReadmeBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```js runnable\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}
