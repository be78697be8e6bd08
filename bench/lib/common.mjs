// Shared by the bench scripts: machine facts, medians, result files, child runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_CORPUS = process.env.DICOMFLOW_BENCH_CORPUS ?? fileURLToPath(new URL('../.corpus/', import.meta.url));

export function requireBuild() {
  if (!existsSync(new URL('../../dist/index.js', import.meta.url))) {
    console.error('bench: build first (npm run build)');
    process.exit(2);
  }
}

export function machine() {
  return { cores: availableParallelism(), cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
}

export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Writes bench/results/<name>.json (or into `dir`); returns its path. */
export function writeResult(name, result, dir = fileURLToPath(new URL('../results/', import.meta.url))) {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify({ bench: name, date: new Date().toISOString(), machine: machine(), ...result }, null, 2)}\n`);
  return path;
}

/**
 * Runs a bench helper (a path relative to bench/lib/) in its own process; returns its last stdout line parsed as JSON.
 * `env` adds variables to the child's environment (it inherits this process's otherwise).
 */
export function child(script, args, { env } = {}) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

export function table(headers, rows) {
  const lines = [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

export function readCorpus(dir) {
  return JSON.parse(readFileSync(`${dir}/corpus.json`, 'utf8'));
}
