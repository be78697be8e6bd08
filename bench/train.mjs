#!/usr/bin/env node
// Training throughput per backend on the sample model (the small CNN at
// 128x128x1, batch 16, Adam) and the same batches, each backend in its own
// process; then the data-wait fraction when the real pipeline feeds the
// trainer (streaming, decoding and training the sample task). The peer, in the
// same run when Debian's python3-torch is installed: PyTorch on the CPU with the
// same model, batches (exported by the wasm run), batch size and optimizer, with
// 2 threads and with 1 (bench/peer/train_torch.py). Data parallel: the wasm
// step in N worker threads (src/train/data-parallel.ts, train.workers) on the
// same batches, for each N in --workers (default 1,2; "0" = none), compared
// with PyTorch at the same thread count, with the median time of each part of
// its step; --fed-workers N also runs the pipeline-fed training with
// train.workers N. --direct also runs each data-parallel row with
// DICOMFLOW_WINOGRAD=off right after it (every convolution on the direct
// kernels), so the Winograd kernels' gain is measured in the same run.
//
//   node bench/train.mjs [--size 128] [--steps 30] [--cpu-steps 1] [--epochs 3] [--skip-cpu] [--skip-torch] [--workers 1,2] [--fed-workers N] [--direct]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { child, requireBuild, table, writeResult } from './lib/common.mjs';

requireBuild();
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '128' },
    steps: { type: 'string', default: '30' },
    'cpu-steps': { type: 'string', default: '1' },
    epochs: { type: 'string', default: '3' },
    'skip-cpu': { type: 'boolean', default: false },
    'skip-torch': { type: 'boolean', default: false },
    workers: { type: 'string', default: '1,2' },
    'fed-workers': { type: 'string', default: '0' },
    direct: { type: 'boolean', default: false },
  },
});
const backends = ['wasm'];
if (!values['skip-cpu']) backends.push('cpu');
try {
  createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
  backends.push('node');
} catch {
  process.stderr.write('bench/train: @tensorflow/tfjs-node is not installed here; measuring wasm and cpu only\n');
}
const compute = [];
const exported = mkdtempSync(join(tmpdir(), 'dicomflow-bench-train-'));
for (const backend of backends) {
  const steps = backend === 'cpu' ? values['cpu-steps'] : values.steps;
  process.stderr.write(`bench/train: ${backend}, ${steps} step(s) after warm-up\n`);
  compute.push(child('./train-run.mjs', ['--backend', backend, '--steps', steps, '--warmup', backend === 'cpu' ? '1' : '2', '--size', values.size, ...(backend === 'wasm' ? ['--export', exported] : [])]));
}
// Data parallel on wasm: N worker threads, the same batches (the same pipeline run, the same seed).
const workerCounts = values.workers.split(',').map(Number).filter((n) => n >= 1);
for (const n of workerCounts) {
  process.stderr.write(`bench/train: wasm, data-parallel ${n} worker(s), ${values.steps} step(s) after warm-up\n`);
  const args = ['--backend', 'wasm', '--workers', String(n), '--steps', values.steps, '--warmup', '3', '--size', values.size];
  compute.push(child('./train-run.mjs', args));
  if (values.direct) {
    process.stderr.write(`bench/train: wasm, data-parallel ${n} worker(s), direct convolutions (DICOMFLOW_WINOGRAD=off)\n`);
    const r = child('./train-run.mjs', args, { env: { DICOMFLOW_WINOGRAD: 'off' } });
    compute.push({ ...r, backend: `${r.backend}, direct convolutions`, direct: true });
  }
}
// The peer: PyTorch on the same batches, 2 threads (the machine's cores) and 1.
const torchOk = !values['skip-torch'] && spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
if (!torchOk && !values['skip-torch']) process.stderr.write('bench/train: python3-torch is not installed (apt-get install python3-torch): no PyTorch peer\n');
for (const threads of torchOk ? [2, 1] : []) {
  process.stderr.write(`bench/train: PyTorch peer, ${threads} thread(s)\n`);
  const r = spawnSync('/usr/bin/python3', [fileURLToPath(new URL('./peer/train_torch.py', import.meta.url)), exported, '--threads', String(threads), '--steps', values.steps], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`train_torch.py failed (${r.status}): ${r.stderr}`);
  compute.push(JSON.parse(r.stdout.trim().split('\n').at(-1)));
}
rmSync(exported, { recursive: true, force: true });
const torch2 = compute.find((r) => String(r.backend).includes('2 thread'));
const wasm = compute.find((r) => r.backend === 'wasm');
const cpu = compute.find((r) => r.backend === 'cpu');
const torchWith = (threads) => compute.find((r) => String(r.backend).startsWith('pytorch') && String(r.backend).includes(`${threads} thread`));
const parallel = compute.filter((r) => r.workers >= 1 && !r.direct);
const direct = compute.filter((r) => r.direct);
const fedWorkers = Number(values['fed-workers']);

process.stderr.write(`bench/train: the sample task through the real pipeline, ${values.epochs} epoch(s)\n`);
const { loadConfig } = await import('../dist/config/load.js');
const { train } = await import('../dist/train/trainer.js');
const { config } = loadConfig(new URL('../pipeline.config.json', import.meta.url).pathname, {
  'train.epochs': Number(values.epochs),
  'train.backend': 'wasm',
  ...(fedWorkers > 1 ? { 'train.workers': fedWorkers } : {}),
});
const fed = await train({ config });

const result = {
  model: 'small-cnn',
  input: `${values.size}x${values.size}x1`,
  batchSize: 16,
  compute,
  wasmOverCpu: wasm && cpu ? wasm.imagesPerSecond / cpu.imagesPerSecond : null,
  wasmOverPytorch: wasm && torch2 ? wasm.imagesPerSecond / torch2.imagesPerSecond : null,
  wasmOverPytorch1: wasm && torchWith(1) ? wasm.imagesPerSecond / torchWith(1).imagesPerSecond : null,
  dataParallel: parallel.map((r) => ({
    workers: r.workers,
    imagesPerSecond: r.imagesPerSecond,
    overSingleThread: wasm ? r.imagesPerSecond / wasm.imagesPerSecond : null,
    overPytorchSameThreads: torchWith(r.workers) ? r.imagesPerSecond / torchWith(r.workers).imagesPerSecond : null,
    profile: r.profile,
    kernels: r.kernels,
  })),
  winogradOverDirect: direct.map((d) => {
    const w = parallel.find((r) => r.workers === d.workers);
    return { workers: d.workers, directImagesPerSecond: d.imagesPerSecond, winogradImagesPerSecond: w.imagesPerSecond, ratio: w.imagesPerSecond / d.imagesPerSecond };
  }),
  pipelineFed: {
    backend: fed.backend,
    trainWorkers: fedWorkers > 1 ? fedWorkers : 0,
    epochs: fed.epochs,
    imagesPerSecond: fed.imagesPerSecond,
    dataWaitFraction: fed.dataWaitFraction,
    valAuc: fed.valAuc,
    perEpoch: fed.history.map((h) => ({ epoch: h.epoch, imagesPerSecond: h.imagesPerSecond, dataWaitFraction: h.dataWaitFraction })),
  },
};
const path = writeResult('train', result);
console.log(table(['backend', 'median step (batch 16)', 'images/s'], compute.map((r) => [r.backend, `${(r.medianStepMs / 1000).toFixed(3)} s`, r.imagesPerSecond.toFixed(2)])));
if (result.wasmOverCpu) console.log(`\nwasm / cpu: ${result.wasmOverCpu.toFixed(1)}x (same model, same batches, measured in this run)`);
if (result.wasmOverPytorch) console.log(`wasm / PyTorch (2 threads): ${result.wasmOverPytorch.toFixed(2)}x (same model, batches, batch size and optimizer, measured in this run)`);
if (result.wasmOverPytorch1) console.log(`wasm / PyTorch (1 thread): ${result.wasmOverPytorch1.toFixed(2)}x`);
for (const d of result.dataParallel) {
  const parts = [d.overSingleThread ? `${d.overSingleThread.toFixed(2)}x the single-thread wasm step` : null, d.overPytorchSameThreads ? `${d.overPytorchSameThreads.toFixed(2)}x PyTorch with ${d.workers} thread(s)` : null].filter(Boolean);
  console.log(`wasm data-parallel, ${d.workers} worker(s): ${d.imagesPerSecond.toFixed(2)} images/s${parts.length ? `, ${parts.join(', ')}` : ''}`);
}
for (const d of result.winogradOverDirect) {
  console.log(`wasm data-parallel, ${d.workers} worker(s), direct convolutions: ${d.directImagesPerSecond.toFixed(2)} images/s; with Winograd ${d.ratio.toFixed(2)}x that`);
}
if (result.dataParallel.length) {
  const f = (v) => v.toFixed(1);
  console.log('\ndata-parallel step, median ms (forward/backward/pack: the slowest worker; overhead: round trip - its compute):');
  console.log(
    table(
      ['workers', 'shards', 'forward', 'backward', 'pack grads', 'overhead (messages, wake-ups)', 'average', 'apply (main)', 'broadcast weights', 'step'],
      result.dataParallel.map(({ workers: n, profile: q }) => [n, q.shards.join('+'), f(q.forwardMs), f(q.backwardMs), f(q.packMs), f(q.overheadMs), f(q.averageMs), f(q.applyMs), f(q.broadcastMs), f(q.totalMs)]),
    ),
  );
  const last = result.dataParallel.at(-1);
  console.log(`kernels of one profiled step, ${last.workers} worker(s), worker 0 (ms): ${Object.entries(last.kernels[0] ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}
console.log(`\nfed by the pipeline (sample task, wasm${fedWorkers > 1 ? `, train.workers ${fedWorkers}` : ''}, ${fed.epochs} epochs): ${fed.imagesPerSecond.toFixed(1)} images/s, data-wait fraction ${(fed.dataWaitFraction * 100).toFixed(1)}%`);
console.log(table(['epoch', 'images/s', 'data wait'], result.pipelineFed.perEpoch.map((e) => [e.epoch, e.imagesPerSecond.toFixed(1), `${(e.dataWaitFraction * 100).toFixed(1)}%`])));
console.log(`\nJSON: ${path}`);
