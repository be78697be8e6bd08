/**
 * `dicomflow bench storage`: runs the storage benchmark (bench/storage.mjs)
 * in its own process, as every bench scenario runs, with the same flags.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

export const BENCH_HELP = `Usage: dicomflow bench storage [--quick] [--json] [--path DIR]... [--url URL]... [--dicomweb URL]...
                               [--count N] [--repeat R] [--workers N] [--target HxW] [--voi V]
                               [--batch-size B] [--compute-ms M] [--file-concurrency N] [--subres]
                               [--setups a,b] [--no-peer] [--no-orthanc] [--corpus DIR] [--results DIR]

Measures what storage setups deliver to training, on one corpus (CT 512x512 J2K
lossless, generated once into bench/.corpus) and one pipeline configuration:
local SSD cold and warm, an HTTP object store in a network namespace shaped with
tc tbf (1 Gbit/s + 20 ms, 100 Mbit/s + 50 ms, 20 Mbit/s + 50 ms), DICOMweb from
an Orthanc PACS started on loopback, and any --path, --url or --dicomweb given.
Per setup: frames/s, MB/s, p50/p99 per-file latency, CPU, the storage and decode
limits and which binds, the utilisation of emulated accelerators (--compute-ms per
batch) and a pydicom + GDCM peer on the same files. Writes
bench/results/storage.{json,md,svg}; --json prints the JSON. --quick takes a few
minutes. The namespace setups need root; without it they are skipped.

  --url URL              a file URL, or a folder URL ending in / holding the corpus's files
  --dicomweb URL         a DICOMweb base URL (QIDO-RS lists every study)
  --compute-ms M         emulated accelerator time per batch (default 870: the wasm trainer's step at 256x256, batch 8)
  --file-concurrency N   files in flight (default 8; use 4 against a server with a small listen queue)
  --subres               decode J2K at the target's resolution (off: we and the peer do the same work)
  --setups a,b           only these: local-cold, local-warm, http-1g-20ms, http-100m-50ms, http-20m-50ms,
                         dicomweb-orthanc, path-N, url-N, dicomweb-N`;

export async function benchCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === undefined || what === '--help' || what === '-h') {
    process.stdout.write(`${BENCH_HELP}\n`);
    return what === undefined ? 2 : 0;
  }
  if (what !== 'storage') throw new UsageError(`unknown benchmark '${what}' (benchmarks: storage)`, { stage: 'cli' });
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${BENCH_HELP}\n`);
    return 0;
  }
  const script = fileURLToPath(new URL('../../bench/storage.mjs', import.meta.url));
  if (!existsSync(script)) throw new UsageError(`the benchmark scripts are not installed (${script} is missing); run from a clone of the repository`, { stage: 'cli' });
  const child = spawn(process.execPath, [script, ...rest], { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent
  // to this process alone is passed on, so the bench still removes what it started.
  const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
  const onTerm = forward('SIGTERM');
  const onInt = () => undefined;
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  const code = await new Promise<number>((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 130 : 1))));
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  return code;
}
