/**
 * The README's `console runnable` blocks, run from the repository's root: each
 * `$ npx dicomflow ...` line is run with the built CLI and its stdout must be
 * the lines that follow it, to the byte. The `js runnable` blocks run in an
 * installed project (install.test.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${ROOT}README.md`, 'utf8');
const blocks = [...readme.matchAll(/^```console runnable\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);

t.test('every console runnable block gives the output the README shows', async (t) => {
  t.ok(blocks.length >= 1, `${blocks.length} block(s)`);
  for (const block of blocks) {
    const steps: { command: string; expected: string[] }[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [] });
      else if (line !== '' && steps.length > 0) steps.at(-1)!.expected.push(line);
    }
    for (const s of steps) {
      const words = s.command.split(/\s+/);
      t.same(words.slice(0, 2), ['npx', 'dicomflow'], `${s.command}: a dicomflow command`);
      const r = runCli(words.slice(2), { cwd: ROOT });
      t.equal(r.status, 0, `${s.command}: exit 0 ${r.stderr}`);
      t.same(r.stdout.trimEnd().split('\n'), s.expected, `${s.command}: output as in the README`);
    }
  }
});
