/**
 * Array ingest on real job engines, with the README's own scripts: a Slurm job
 * array on a single-node Slurm this test starts (Debian's slurm-wlm and munge,
 * configured in a temporary folder), and GNU parallel with 4 jobs. Each merges
 * and must give shards byte-identical to one process.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CLI } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLUSTER = fileURLToPath(new URL('../helpers/slurm-cluster.sh', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const block = (info: string) => [...readme.matchAll(new RegExp(`^\`\`\`${info}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!)[0];

const work = mkdtempSync(join(tmpdir(), 'dicomflow-engines-'));
chmodSync(work, 0o755); // munged (as the munge user) must reach its files below it
const scans = join(work, 'scans');
mkdirSync(scans);
for (const n of ['ct_s16_mf3_j2k_lossless', 'us_u8_mf4_jls_lossless_emptybot', 'mr_u16_mf4_rle_bot', 'rgb_u8_jpeg_baseline_ybr422', 'ct_u12_jpeg_extended', 'cr_u12_mono1_jpeg_lossless_p14', 'ct_s16_explicit_be', 'mr_u16_mf4_deflated', 'rgb_u8_mf3_rle_gdcm']) {
  copyFileSync(join(FIXTURES, `${n}.dcm`), join(scans, `${n}.dcm`));
}
// `dicomflow` on the PATH, as an installed package puts it there.
const bin = join(work, 'bin');
mkdirSync(bin);
writeFileSync(join(bin, 'dicomflow'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
chmodSync(join(bin, 'dicomflow'), 0o755);
const env = (dataset: string) => ({ ...process.env, PATH: `${bin}:${process.env.PATH}`, SCANS: scans, DATASET: dataset, SHARD_FILES: '2', DICOMFLOW_GROUP_KEY: 'engines-test' });

function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
  return out;
}

const single = join(work, 'single');
const one = spawnSync('sh', ['-c', 'dicomflow ingest "$SCANS" --out "$DATASET" --target 256x256 --shard-files "$SHARD_FILES" --workers 1'], { env: env(single), encoding: 'utf8' });

t.test('one process: the reference', async (t) => {
  t.equal(one.status, 0, one.stderr);
  const index = JSON.parse(readFileSync(join(single, 'dataset.json'), 'utf8'));
  t.equal(index.shards.length, 5, '9 files in shards of 2');
});

t.test('GNU parallel, 4 jobs, with the README script, then --merge: byte-identical', async (t) => {
  const script = block('bash parallel');
  t.ok(script, 'the README has the GNU parallel example');
  const dataset = join(work, 'parallel');
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script!], { env: env(dataset), encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.same(hashes(dataset), hashes(single));
});

t.test('a Slurm job array of 4 tasks, with the README sbatch script, then --merge: byte-identical', async (t) => {
  const cluster = join(work, 'slurm');
  const up = spawnSync('bash', [CLUSTER, 'start', cluster], { encoding: 'utf8' });
  t.teardown(() => {
    spawnSync('bash', [CLUSTER, 'stop', cluster]);
  });
  t.equal(up.status, 0, `single-node Slurm started: ${up.stderr}`);
  const conf = up.stdout.trim();
  const script = block('bash slurm');
  t.ok(script, 'the README has the sbatch script');
  writeFileSync(join(work, 'ingest.sbatch'), script!);
  const dataset = join(work, 'slurm-dataset');
  // The README's submission line, as written: sbatch --wait, then the merge.
  const submit = [...readme.matchAll(/^```sh\n(sbatch --wait [^\n]*)\n```$/gm)].map((m) => m[1]!)[0] ?? '';
  t.match(submit, /^sbatch --wait ingest\.sbatch && dicomflow ingest .* --merge$/, 'the README submits and merges');
  const e = { ...env(dataset), SLURM_CONF: conf };
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', `cd ${JSON.stringify(work)} && ${submit}`], { env: e, encoding: 'utf8', timeout: 300_000 });
  const logs = readdirSync(work).filter((f) => /^slurm-\d+_\d+\.out$/.test(f));
  t.equal(r.status, 0, `${r.stdout} ${r.stderr} ${logs.map((f) => readFileSync(join(work, f), 'utf8')).join('\n')}`);
  t.match(r.stdout, /Submitted batch job \d+/);
  t.equal(logs.length, 4, 'four array tasks ran');
  for (const f of logs) t.match(readFileSync(join(work, f), 'utf8'), /worker \d of 4 \(SLURM_ARRAY_TASK_ID\)/);
  t.same(hashes(dataset), hashes(single), 'byte-identical to one process');
});
