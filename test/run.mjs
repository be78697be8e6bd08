#!/usr/bin/env node
// Runs the tap suite and ends with one plain line `N passed, N failed`
// (N counts the top-level tests of every test file, plus one for the type-check
// of the tests; a file that crashes counts as one failure). Exit status is tap's,
// or 1 when the tests do not type-check.
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser } from 'tap-parser';

// The CLI tests run the compiled dist/: build first so they never test stale code.
const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}

// tap's loader (tsx) only strips types, so the tests' own types are checked here, as
// one more test: a type error fails the run but does not stop the suite.
const typeCheck = spawnSync('npx', ['tsc', '-p', 'test/tsconfig.json'], { stdio: 'inherit' });
const typesOk = typeCheck.status === 0;
console.log(`${typesOk ? 'ok  ' : 'FAIL'} type-check of the tests (tsc -p test/tsconfig.json)`);

const resultsDir = '.tap/test-results';
rmSync(resultsDir, { recursive: true, force: true });
// On a terminal tap draws its own report; elsewhere (CI, pipes) this script prints
// one line per test file and the details of every failure, without escape codes.
const reporter = process.env.TAP_REPORTER ?? (process.stdout.isTTY ? 'base' : 'silent');
const quietReporter = reporter === 'silent';
// Every test's temporary files (fixture copies, caches, an installed consumer project of
// about 0.5 GB) go under one folder of this run's, removed when the run ends, so a run
// leaves nothing behind in the machine's temp dir even where a test forgets to clean up.
// Its mode is /tmp's (1777): services the tests start under other users (munged runs as
// munge) must reach their folders under it, as they do under /tmp.
const runTmp = mkdtempSync(join(tmpdir(), 'dicomflow-tests-'));
chmodSync(runTmp, 0o1777);
let run;
try {
  run = spawnSync('npx', ['tap', '--reporter', reporter, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, TMPDIR: runTmp } });
} finally {
  rmSync(runTmp, { recursive: true, force: true });
}

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.tap') ? [join(dir, e.name)] : []));
}

/**
 * A failure's diagnostics as JSON. tap's YAML can alias one object from two
 * places (a spawn error's `error` and its fields), which the parser turns into
 * a circular structure: a repeated object is printed as "[seen above]", so one
 * failure's report never stops the count.
 */
function diagText(diag) {
  const seen = new WeakSet();
  return JSON.stringify(
    diag ?? {},
    (_key, value) => {
      if (typeof value !== 'object' || value === null) return value;
      if (seen.has(value)) return '[seen above]';
      seen.add(value);
      return value;
    },
    2,
  );
}

let passed = typesOk ? 1 : 0;
let failed = typesOk ? 0 : 1;
let skipped = 0;
for (const file of walk(resultsDir)) {
  const parser = new Parser();
  let sawPoint = false;
  const counts = { pass: 0, fail: 0, skip: 0 };
  const report = (a, indent) => console.log(`${indent}not ok ${a.name}\n${diagText(a.diag).replace(/^/gm, `${indent}  `)}`);
  parser.on('assert', (a) => {
    sawPoint = true;
    if (a.skip || a.todo) counts.skip++;
    else if (a.ok) counts.pass++;
    else {
      counts.fail++;
      if (quietReporter) report(a, '  ');
    }
  });
  if (quietReporter) {
    // Failures inside subtests, with their diagnostics.
    parser.on('child', function onChild(child) {
      child.on('assert', (a) => {
        if (!a.ok && !a.skip && !a.todo) report(a, '    ');
      });
      child.on('child', onChild);
    });
  }
  const done = new Promise((resolve) => parser.on('complete', resolve));
  parser.end(readFileSync(file, 'utf8'));
  const final = await done;
  if (!sawPoint && !final.ok) counts.fail++;
  passed += counts.pass;
  failed += counts.fail;
  skipped += counts.skip;
  if (quietReporter) {
    const name = file.slice(resultsDir.length + 1).replace(/\.tap$/, '');
    console.log(`${counts.fail ? 'FAIL' : 'ok  '} ${name}: ${counts.pass} passed, ${counts.fail} failed${counts.skip ? `, ${counts.skip} skipped` : ''}`);
  }
}
if (run.status !== 0 && failed === 0) failed = 1; // tap failed outside any test point
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(typesOk ? (run.status ?? 1) : 1);
