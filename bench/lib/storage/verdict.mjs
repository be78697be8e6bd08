// What the storage bench concludes from its measurements: which limit binds a
// setup, and how many emulated accelerators it can keep busy.

/**
 * The binding limit. A setup delivering at least `near` (80%) of its lowest
 * limit is bound by that limit. Below it, the CPU tells: all cores busy, most
 * of them with the pipeline's own process, is decoding (and the per-frame work
 * around it) on a CPU it cannot have more of: 'decode'. All cores busy with a
 * large share in other processes (a server on the same machine) is 'CPU
 * (shared)'. Cores to spare means too few requests in flight to hide the
 * storage's latency: 'latency'.
 *
 * @example bindingLimit({ framesPerSecond: 38, decodeFramesPerSecond: 40, storageFramesPerSecond: 600, storageKind: 'network', cpuSystem: 0.97, cpuProcess: 0.9 }) // 'decode'
 */
export function bindingLimit({ framesPerSecond, decodeFramesPerSecond, storageFramesPerSecond, storageKind, cpuSystem, cpuProcess, near = 0.8 }) {
  const limits = [{ name: 'decode', v: decodeFramesPerSecond }];
  if (storageFramesPerSecond) limits.push({ name: storageKind, v: storageFramesPerSecond });
  const low = limits.reduce((a, b) => (b.v < a.v ? b : a));
  if (framesPerSecond >= near * low.v) return low.name;
  if (cpuSystem !== null && cpuSystem !== undefined && cpuSystem >= 0.9) return cpuProcess >= 0.8 * cpuSystem ? 'decode' : 'CPU (shared)';
  return 'latency';
}

/**
 * MLPerf Storage's question: how many accelerators, each taking a batch of
 * `batchSize` every `computeMs`, does a pipeline delivering `framesPerSecond`
 * keep at least `busy` (90%) utilised? N of them need N x batchSize / compute
 * frames per second; utilisation is at most delivered / needed.
 *
 * @example acceleratorsKeptBusy({ framesPerSecond: 40, batchSize: 8, computeMs: 250 }) // 1 (one needs 32 frames/s)
 */
export function acceleratorsKeptBusy({ framesPerSecond, batchSize, computeMs, busy = 0.9 }) {
  const perAccelerator = batchSize / (computeMs / 1000);
  return Math.floor(framesPerSecond / (busy * perAccelerator) + 1e-9);
}
