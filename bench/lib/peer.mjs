// The conventional Python peer of the storage benchmark (bench/peer/pydicom_peer.py:
// pydicom + GDCM + numpy, multiprocessing.Pool), run in its own process.
//
//   const check = peerAvailable(); // { ok: false, why: 'apt-get install python3-gdcm ...' } when missing
//   const r = await runPeer({ sources: files, workers: 2, target: '256x256', voi: 'file', batchSize: 16 });
//   r.framesPerSecond
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The Debian interpreter: the python3-* packages install into it, not into a pyenv or venv python. */
export const PEER_PYTHON = '/usr/bin/python3';
export const PEER_SCRIPT = fileURLToPath(new URL('../peer/pydicom_peer.py', import.meta.url));
export const PEER_PACKAGES = { pydicom: 'python3-pydicom', gdcm: 'python3-gdcm', numpy: 'python3-numpy' };

/**
 * Whether /usr/bin/python3 can import pydicom, gdcm and numpy; `why` names
 * the missing Debian packages.
 *
 * @example
 *   peerAvailable() // { ok: true } or { ok: false, why: 'python3 lacks gdcm: apt-get install python3-gdcm' }
 */
export function peerAvailable() {
  const probe = [
    'import importlib, json',
    'missing = []',
    `for m in ${JSON.stringify(Object.keys(PEER_PACKAGES))}:`,
    '    try: importlib.import_module(m)',
    '    except Exception: missing.append(m)',
    'print(json.dumps(missing))',
  ].join('\n');
  const r = spawnSync(PEER_PYTHON, ['-c', probe], { encoding: 'utf8', timeout: 30_000 });
  const all = Object.values(PEER_PACKAGES).join(' ');
  if (r.error) return { ok: false, why: `${PEER_PYTHON} cannot run (${r.error.message}): apt-get install python3 ${all}` };
  let missing;
  try {
    missing = JSON.parse(r.stdout.trim().split('\n').at(-1));
  } catch {
    return { ok: false, why: `${PEER_PYTHON} failed the import probe (${r.status}): ${r.stderr.trim()}; apt-get install ${all}` };
  }
  if (missing.length === 0) return { ok: true };
  return { ok: false, why: `${PEER_PYTHON} lacks ${missing.join(', ')}: apt-get install ${missing.map((m) => PEER_PACKAGES[m]).join(' ')}` };
}

/**
 * Runs the peer over `sources` (local paths, http(s) URLs, or
 * `dicomweb:<instance URL>`); resolves with its JSON line, rejects with its
 * stderr. `target` is 'HxW' or { height, width }.
 *
 * @example
 *   await runPeer({ sources: ['/data/a.dcm'], workers: 2, target: '32x32', voi: 'window:40,400', batchSize: 8, dump: '/tmp/out' })
 */
export function runPeer({ sources, workers, target, voi, batchSize, computeMs, dump, warmup, authEnv, env }) {
  const targetText = typeof target === 'string' ? target : `${target.height}x${target.width}`;
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-peer-'));
  const list = join(dir, 'sources.txt');
  writeFileSync(list, `${sources.join('\n')}\n`);
  const args = [PEER_SCRIPT, '--list', list, '--workers', String(workers), '--target', targetText, '--voi', voi, '--batch-size', String(batchSize)];
  if (computeMs !== undefined && computeMs !== null) args.push('--compute-ms', String(computeMs));
  if (dump) args.push('--dump', dump);
  if (warmup) args.push('--warmup', warmup);
  if (authEnv) args.push('--auth-env', authEnv);
  return new Promise((resolve, reject) => {
    // PYTHONNOUSERSITE: packages in ~/.local must not shadow the Debian versions the report names.
    const child = spawn(PEER_PYTHON, args, { env: { ...process.env, PYTHONNOUSERSITE: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    // An interrupted bench must not leave the peer running; 'exit' handlers run synchronously.
    const killOnExit = () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    };
    process.on('exit', killOnExit);
    child.on('close', () => process.off('exit', killOnExit));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`pydicom peer could not start: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`pydicom peer failed (${signal ?? `exit ${code}`}):\n${stderr.trim()}`));
      try {
        const result = JSON.parse(last);
        // Per-file errors are part of the result; their reasons are only on stderr.
        result.stderr = stderr;
        resolve(result);
      } catch {
        reject(new Error(`pydicom peer printed no JSON line (stdout ${JSON.stringify(last.slice(0, 200))}):\n${stderr.trim()}`));
      }
    });
  });
}
