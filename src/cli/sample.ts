/**
 * `dicomflow sample [--leaky | --control] [--json]`: generates (once, then
 * reuses from the cache) the built-in sample task, or its two-hospital
 * variant with the brief's shortcut (src/synth/leaky-task.ts), and prints
 * where its manifests are.
 */
import { UsageError } from '../errors.js';
import { ensureLeakyTask } from '../synth/leaky-task.js';
import { ensureSampleTask } from '../synth/sample-task.js';
import { noPositionals, parseCommandLine } from './args.js';
import { Progress } from './progress.js';
import { jsonLine } from './terminal.js';

export const SAMPLE_HELP = `Usage: dicomflow sample [--leaky | --control] [--json]

Generates the built-in sample data in the cache (~/.cache/dicomflow or
$DICOMFLOW_CACHE) on first use and prints its manifests (path,label CSV):
  (default)  the sample task npm start trains on: chest CT phantoms, half with
             a lung nodule
  --leaky    two hospitals: MERCY GENERAL burns its name into the top-left corner
             and writes it in InstitutionName, and 85% of its images are positive
             (15% at NORTH VALLEY). Also a site-flipped test
             set (MERCY GENERAL 15% positive, NORTH VALLEY 85%)
  --control  the same two hospitals, text and scanners, 50% positive at both
Sidecars the pipeline never reads: lesions.json (nodule centres and radii) and,
for the two-hospital sets, text.json (each file's burned-in text box).`;

export async function sampleCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { leaky: { type: 'boolean' }, control: { type: 'boolean' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${SAMPLE_HELP}\n`);
    return 0;
  }
  noPositionals('sample', positionals);
  if (values.leaky && values.control) throw new UsageError('--leaky and --control are two different sets: give one', { stage: 'cli' });
  const progress = new Progress();
  const onProgress = (done: number, total: number) => progress.update(`generating: ${done}/${total} images`);
  let out: Record<string, unknown>;
  if (values.leaky || values.control) {
    const t = await ensureLeakyTask({ variant: values.leaky ? 'leaky' : 'control', onProgress });
    out = { variant: values.leaky ? 'leaky' : 'control', train: t.train, flipped: t.flipped, lesions: t.lesions, text: t.text, files: t.files, generated: t.generated };
  } else {
    const t = await ensureSampleTask({ onProgress });
    out = { variant: 'sample', manifest: t.manifest, lesions: t.lesions, files: t.files, generated: t.generated };
  }
  progress.clear();
  if (values.json) process.stdout.write(`${jsonLine(out)}\n`);
  else for (const [k, v] of Object.entries(out)) process.stdout.write(`${k}: ${String(v)}\n`);
  return 0;
}
