// Runs one storage setup: the pipeline (and the peer) once per round, then,
// after the rounds, its limits, the emulated training feed and the verdict on
// which limit binds.
import { spawnSync } from 'node:child_process';
import { child, median } from '../common.mjs';
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

function ours(s, o, extra = {}) {
  const job = { overrides: { ...baseOverrides(o), ...s.overrides }, warmup: o.warmup, passes: 1, evict: s.evict ? s.overrides['sources.paths'] : null, ...extra };
  const r = child('./storage/run.mjs', [JSON.stringify(job)]);
  if (r.errors) throw new Error(`${s.name}: ${r.errors} error(s) in the pipeline run, e.g. ${JSON.stringify(r.errorSample)}`);
  return r;
}

function evict(s) {
  if (!s.evict) return;
  spawnSync('sync');
  spawnSync('vmtouch', ['-q', '-e', ...s.overrides['sources.paths']]);
}

export const runSetup = {
  /** One round: the pipeline, then the peer, on the same setup. */
  async throughput(s, o) {
    await s.prepare?.();
    const r = { ours: ours(s, o) };
    if (o.peer) {
      evict(s);
      const p = await o.peer.runPeer({ sources: s.peerSources(), workers: o.workers, target: o.target, voi: o.voi, batchSize: o.batchSize, warmup: o.warmup });
      if (p.errors) throw new Error(`${s.name}: the peer failed on ${p.errors} file(s)`);
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
      const r = child('./storage/run.mjs', [JSON.stringify({ overrides: { ...baseOverrides(o), ...s.overrides }, sourceOnly: true })]);
      storage = { framesPerSecond: r.filesPerSecond, mbPerSecond: r.mbPerSecond, what: 'source-only read' };
    }
    // The training feed (MLPerf Storage style): 1 emulated accelerator, then the
    // most the setup should keep >= 90% busy (from the measured rate), verified by a run.
    const feed = (n) => ours(s, o, { computeMs: o.computeMs, accelerators: n, passes: o.accelPasses });
    const one = feed(1);
    let maxAccelerators = acceleratorsKeptBusy({ framesPerSecond: fps, batchSize: o.batchSize, computeMs: o.computeMs });
    let verified = maxAccelerators === 1 ? one : null;
    for (let tries = 0; maxAccelerators >= 1 && tries < 3; tries++) {
      verified ??= feed(maxAccelerators);
      if (verified.acceleratorUtilisation >= 0.9) break;
      maxAccelerators--;
      verified = maxAccelerators === 1 ? one : null;
    }
    if (maxAccelerators >= 1 && (!verified || verified.acceleratorUtilisation < 0.9)) maxAccelerators = 0;

    const decodeFps = o.decode.framesPerSecond;
    const cpuSystem = m('cpuSystem');
    const binding = bindingLimit({ framesPerSecond: fps, decodeFramesPerSecond: decodeFps, storageFramesPerSecond: storage?.framesPerSecond, storageKind: s.kind, cpuSystem, cpuProcess: m('cpuProcess') });
    const share = (v) => `${((100 * fps) / v).toFixed(0)}%`;
    const explanation =
      `${fps.toFixed(1)} frames/s = ${share(decodeFps)} of the decode limit (${decodeFps.toFixed(1)})` +
      (storage?.framesPerSecond ? `, ${share(storage.framesPerSecond)} of the ${s.kind} limit (${storage.framesPerSecond.toFixed(1)}, ${storage.what})` : '') +
      `; machine CPU ${cpuSystem === null ? '-' : `${(100 * cpuSystem).toFixed(0)}%`}: bound by ${binding}`;
    const out = {
      name: s.name,
      label: s.label,
      framesPerSecond: fps,
      mbPerSecond: m('mbPerSecond'),
      p50Ms: m('p50Ms'),
      p99Ms: m('p99Ms'),
      cpuProcess: m('cpuProcess'),
      cpuSystem,
      bindingLimit: binding,
      explanation,
      limits: { storageFramesPerSecond: storage?.framesPerSecond ?? null, storageMBps: storage?.mbPerSecond ?? null, storageWhat: storage?.what ?? null, decodeFramesPerSecond: decodeFps },
      acceleratorUtilisation: one.acceleratorUtilisation,
      maxAccelerators,
      maxAcceleratorsUtilisation: maxAccelerators >= 1 ? verified.acceleratorUtilisation : null,
      perRound: rounds.map((r) => Number(r.ours.framesPerSecond.toFixed(2))),
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
    o.log(`${s.name}: ${explanation}; 1 emulated accelerator ${(100 * out.acceleratorUtilisation).toFixed(0)}% busy, up to ${maxAccelerators} kept >= 90%`);
    return out;
  },
};
