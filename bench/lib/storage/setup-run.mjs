// Runs one storage setup: the pipeline (and the peer) once per round, then,
// after the rounds, its limits, the emulated training feed and the verdict on
// which limit binds.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from '../common.mjs';
import { onCleanup } from './cleanup.mjs';
import { evict } from './page-cache.mjs';
import { processCpuSeconds } from './process-cpu.mjs';

const RUN = fileURLToPath(new URL('./run.mjs', import.meta.url));
const running = new Set();
let registered = false;

/**
 * One measurement in its own process (run.mjs), waited for without blocking
 * this one, so that Ctrl-C or SIGTERM is handled at once and the run is stopped
 * with everything else the bench started.
 */
function measure(job) {
  if (!registered) {
    registered = true;
    onCleanup('measurement processes', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [RUN, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(c);
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('exit', (code, signal) => {
      running.delete(c);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)));
      else reject(new Error(`measurement failed (${signal ?? code}): ${err.trim().split('\n').slice(-8).join('\n')}`));
    });
  });
}
import { acceleratorsKeptBusy, bindingLimit } from './verdict.mjs';

function baseOverrides(o) {
  return {
    'decode.workers': o.workers,
    // Full decode: the corpus stays decode-bound, and the peer (GDCM) decodes at full resolution too.
    'decode.subResolution': o.subres,
    'preprocess.target': o.target,
    'preprocess.voi': o.voi,
    'pipeline.batchSize': o.batchSize,
    'pipeline.shuffleBuffer': 0,
    'pipeline.fileConcurrency': o.fileConcurrency,
    'sources.http.connections': o.fileConcurrency,
  };
}

async function ours(s, o, extra = {}) {
  const job = { overrides: { ...baseOverrides(o), ...s.overrides }, warmup: o.warmup, evict: s.evict ? s.overrides['sources.paths'] : null, ...extra };
  const r = await measure(job);
  // Inputs that fail (a non-DICOM file in a --path folder, say) are counted and shown, and the rest is measured.
  if (r.errors) o.log(`${s.name}: ${r.errors} input(s) failed and were left out, e.g. ${r.errorSample.map((e) => `${e.file}: ${e.code}`).join('; ')}`);
  return r;
}


export const runSetup = {
  /** One round: the pipeline, then the peer, on the same setup. */
  async throughput(s, o) {
    await s.prepare?.();
    // A server on this machine (the HTTP store, Orthanc) takes its CPU from the same cores as decoding.
    const pid = s.serverPid?.();
    const server0 = pid ? processCpuSeconds(pid) : null;
    const r = { ours: await ours(s, o) };
    const server1 = pid ? processCpuSeconds(pid) : null;
    if (server0 !== null && server1 !== null) r.ours.cpuServer = (server1 - server0) / (r.ours.seconds * availableParallelism());
    if (o.peer) {
      if (s.evict) evict(s.overrides['sources.paths']);
      const p = await o.peer.runPeer({ sources: s.peerSources(), workers: o.workers, target: o.target, voi: o.voi, batchSize: o.batchSize, warmup: o.warmup });
      if (p.errors) o.log(`${s.name}: the peer failed on ${p.errors} input(s), left out:\n${p.stderr.trim().split('\n').slice(-3).join('\n')}`);
      r.peer = p;
    }
    return r;
  },

  /** Medians over the rounds, the storage limit, the training feed, and the binding limit. */
  async summarise(s, rounds, o) {
    await s.prepare?.();
    const m = (k, side = 'ours') => median(rounds.map((r) => r[side][k]));
    const fps = m('framesPerSecond');
    let storage = s.storageLimit ?? null;
    if (s.sourceOnlyLimit) {
      const r = await measure({ overrides: { ...baseOverrides(o), ...s.overrides }, sourceOnly: true });
      storage = { framesPerSecond: r.filesPerSecond, mbPerSecond: r.mbPerSecond, what: 'source-only read' };
    }
    // The training feed (MLPerf Storage style): the most accelerators the measured
    // rate should keep >= 90% busy, verified by a run that emulates them over one
    // long pass (the corpus repeated); one fewer while the run says otherwise.
    const feed = (n) => ours(s, o, { computeMs: o.computeMs, accelerators: n, repeatItems: o.accelRepeat });
    let maxAccelerators = acceleratorsKeptBusy({ framesPerSecond: fps, batchSize: o.batchSize, computeMs: o.computeMs });
    let run = await feed(Math.max(1, maxAccelerators));
    for (let tries = 1; maxAccelerators >= 1 && run.acceleratorUtilisation < 0.9; tries++) {
      if (tries === 4) break;
      maxAccelerators--;
      if (maxAccelerators === 0) break;
      run = await feed(maxAccelerators);
    }
    const verified = maxAccelerators === 0 || run.acceleratorUtilisation >= 0.9;

    const decodeFps = median(rounds.map((r) => r.decode.framesPerSecond));
    const decodeShare = median(rounds.map((r) => r.ours.framesPerSecond / r.decode.framesPerSecond));
    const cpuSystem = m('cpuSystem');
    // The decode side is judged on per-round ratios (fps and limit measured side by side).
    const binding = bindingLimit({ framesPerSecond: decodeShare * decodeFps, decodeFramesPerSecond: decodeFps, storageFramesPerSecond: storage?.framesPerSecond, storageKind: s.kind, cpuSystem, cpuProcess: m('cpuProcess') });
    const share = (v) => `${((100 * fps) / v).toFixed(0)}%`;
    const explanation =
      `${fps.toFixed(1)} frames/s = ${(100 * decodeShare).toFixed(0)}% of the decode limit (${decodeFps.toFixed(1)}; median of per-round ratios)` +
      (storage?.framesPerSecond ? `, ${share(storage.framesPerSecond)} of the ${s.kind} limit (${storage.framesPerSecond.toFixed(1)}, ${storage.what})` : '') +
      `; machine CPU ${cpuSystem === null ? '-' : `${(100 * cpuSystem).toFixed(0)}%`}` +
      (rounds[0].ours.cpuServer === undefined ? '' : `, of which the server on this machine ${(100 * m('cpuServer')).toFixed(1)}%`) +
      `: bound by ${binding}`;
    const out = {
      name: s.name,
      label: s.label,
      framesPerSecond: fps,
      mbPerSecond: m('mbPerSecond'),
      bytesPerFrame: m('bytesPerFrame'),
      p50Ms: m('p50Ms'),
      p99Ms: m('p99Ms'),
      cpuProcess: m('cpuProcess'),
      cpuSystem,
      // Share of the machine's CPU the setup's own server took during our runs (null: no local server).
      cpuServer: rounds[0].ours.cpuServer === undefined ? null : m('cpuServer'),
      bindingLimit: binding,
      explanation,
      limits: { storageFramesPerSecond: storage?.framesPerSecond ?? null, storageMBps: storage?.mbPerSecond ?? null, storageWhat: storage?.what ?? null, decodeFramesPerSecond: decodeFps },
      decodeShare,
      // Measured with `accelerators` emulated: the most kept >= 90% busy, or 1 when not even one is.
      acceleratorUtilisation: run.acceleratorUtilisation,
      accelerators: run.accelerators,
      maxAccelerators,
      maxAcceleratorsVerified: verified,
      perRound: rounds.map((r) => Number(r.ours.framesPerSecond.toFixed(2))),
      errors: Math.max(...rounds.map((r) => r.ours.errors)),
    };
    if (rounds[0].peer) {
      const p = rounds[0].peer;
      out.peer = {
        name: `pydicom ${p.pydicom} + GDCM ${p.gdcm}, ${p.workers} processes`,
        framesPerSecond: m('framesPerSecond', 'peer'),
        mbPerSecond: m('mbPerSecond', 'peer'),
        p50Ms: m('p50Ms', 'peer'),
        p99Ms: m('p99Ms', 'peer'),
        perRound: rounds.map((r) => Number(r.peer.framesPerSecond.toFixed(2))),
      };
      out.oursOverPeer = median(rounds.map((r) => r.ours.framesPerSecond / r.peer.framesPerSecond));
    }
    o.log(`${s.name}: ${explanation}; ${run.accelerators} emulated accelerator(s) ${(100 * run.acceleratorUtilisation).toFixed(0)}% busy: ${maxAccelerators} kept >= 90%`);
    return out;
  },
};
