import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli.js';
import { FIXTURES, fixtureNames, fixtureBytes } from '../helpers/fixtures.js';

const run = (...args: string[]) => runCli(args);
const names = fixtureNames();
const paths = names.map((n) => `${FIXTURES}${n}.dcm`);

/** gdcminfo's view of a file: transfer syntax and (columns, rows, frames). */
function gdcminfo(path: string) {
  const out = execFileSync('gdcminfo', [path], { encoding: 'utf8' });
  const ts = /^TransferSyntax is (\S+)/m.exec(out)?.[1];
  const dims = /^Dimensions: \((\d+),(\d+)(?:,(\d+))?\)/m.exec(out);
  return { transferSyntax: ts, columns: Number(dims?.[1]), rows: Number(dims?.[2]), frames: Number(dims?.[3] ?? 1) };
}

/** dcmdump's values of the attributes given, e.g. Rows -> "128". */
function dcmdump(path: string): Record<string, string> {
  const out = execFileSync('dcmdump', ['-M', '+P', '0028,0010', '+P', '0028,0011', '+P', '0028,0008', '+P', '0002,0010', '-Un', path], { encoding: 'utf8' });
  const values: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^\((\w{4},\w{4})\) \w\w (?:\[([^\]]*)\]|=?(\S+))/.exec(line.trim());
    if (m) values[m[1]!] = (m[2] ?? m[3])!;
  }
  return values;
}

t.test('inspect --json agrees with gdcminfo and dcmdump on every fixture', async (t) => {
  const r = run('inspect', '--json', ...paths);
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.equal(lines.length, paths.length, 'one line per file');
  for (const [i, line] of lines.entries()) {
    const path = paths[i]!;
    t.equal(line.path, path);
    const g = gdcminfo(path);
    t.match(line, { transferSyntax: g.transferSyntax, rows: g.rows, columns: g.columns, frames: g.frames, framesRead: g.frames }, `${names[i]} vs gdcminfo`);
    const d = dcmdump(path);
    t.equal(String(line.rows), d['0028,0010'], `${names[i]} rows vs dcmdump`);
    t.equal(String(line.columns), d['0028,0011'], `${names[i]} columns vs dcmdump`);
    t.equal(String(line.frames), d['0028,0008'] ?? '1', `${names[i]} frames vs dcmdump`);
    if (d['0002,0010']) t.equal(line.transferSyntax, d['0002,0010'], `${names[i]} transfer syntax vs dcmdump`);
    // J2K and HTJ2K files also say whether their frames allow prefix reads; the others do not have the key.
    const wavelet = /^1\.2\.840\.10008\.1\.2\.4\.(90|91|201|202|203)$/.test(String(line.transferSyntax));
    const keys = ['path', 'transferSyntax', 'rows', 'columns', 'frames', 'samplesPerPixel', 'bitsAllocated', 'bitsStored', 'pixelRepresentation', 'photometricInterpretation', 'framesRead'];
    t.same(Object.keys(line), wavelet ? [...keys, 'prefixReads'] : keys);
    if (wavelet) t.match(line.prefixReads, { allowed: Boolean }, `${names[i]}: prefixReads says allowed or not`);
  }
});

t.test('a failing file gives an error line and exit 1; the others are still read', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomflow-cli-'));
  const bad = join(dir, 'bad.dcm');
  writeFileSync(bad, 'not dicom '.repeat(40));
  const cut = join(dir, 'cut.dcm');
  const whole = fixtureBytes('us_u8_mf4_explicit_le');
  writeFileSync(cut, whole.subarray(0, whole.length - 3000));
  const good = paths[0]!;
  const r = run('inspect', '--json', bad, good, cut, join(dir, 'missing.dcm'));
  t.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { path: string; error?: { code: string }; framesRead?: number });
  const byPath = new Map(lines.map((l) => [l.path, l]));
  t.equal(byPath.get(bad)?.error?.code, 'DF_ERR_NOT_DICOM');
  t.equal(byPath.get(cut)?.error?.code, 'DF_ERR_TRUNCATED_PIXEL_DATA');
  t.equal(byPath.get(cut)?.framesRead, 3, 'truncation shows: 3 of 4 frames read');
  t.equal(byPath.get(join(dir, 'missing.dcm'))?.error?.code, 'DF_ERR_SOURCE');
  t.notOk(byPath.get(good)?.error, 'the good file is read');
  const text = run('inspect', bad, good);
  t.equal(text.status, 1);
  t.match(text.stdout, /^FAIL .*bad\.dcm {2}DF_ERR_NOT_DICOM: /m);
  t.match(text.stdout, /^OK {3}.*Explicit VR Little Endian/m);
  t.match(text.stderr, /2 file\(s\), 1 failed/, 'summary on stderr, not stdout');
});

t.test('--header-only reads no frames', async (t) => {
  const r = run('inspect', '--json', '--header-only', paths[0]!);
  t.equal(r.status, 0);
  t.notOk('framesRead' in JSON.parse(r.stdout), 'no frame count');
});

t.test('usage and config errors exit 2 with a message naming the problem', async (t) => {
  let r = run('inspect');
  t.equal(r.status, 2);
  t.match(r.stderr, /inspect needs at least one path/);
  r = run('inspect', '--bogus', paths[0]!);
  t.equal(r.status, 2);
  t.match(r.stderr, /Unknown option '--bogus'/);
  r = run('inspect', '--max-frame-bytes=-1', paths[0]!);
  t.equal(r.status, 2);
  t.match(r.stderr, /parse\.maxFrameBytes must be a positive integer \(got -1\)/);
  r = run('frobnicate');
  t.equal(r.status, 2);
  t.match(r.stderr, /unknown command 'frobnicate'/);
  r = run('inspect', '--config', '/nonexistent/x.json', paths[0]!);
  t.equal(r.status, 2);
  t.match(r.stderr, /cannot read config file/);
  t.equal(r.stdout, '', 'nothing on stdout');
});

t.test('a configured limit applies: --max-frame-bytes refuses a frame over it', async (t) => {
  const r = run('inspect', '--json', '--max-frame-bytes', '1000', paths[0]!);
  t.equal(r.status, 1);
  t.equal(JSON.parse(r.stdout).error.code, 'DF_ERR_FRAME_TOO_LARGE');
});
