/**
 * Prefix reads (src/codecs/j2k-prefix.ts): where the packets of the low
 * resolutions end, on codestreams made by an independent encoder
 * (OpenJPEG's opj_compress, Debian libopenjp2-tools) across progressions,
 * code-block sizes and styles, precincts, SOP/EPH, layers and odd sizes.
 * Two oracles: the PLT marker opj_compress writes (each packet's length, so
 * the exact byte where a resolution ends), and the decoder (the cut
 * codestream decodes at that level to the same pixels as the whole one).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cutCodestream, prefixFor } from '../../src/codecs/j2k-prefix.js';
import { readJ2kHeader, sizeAtLevel } from '../../src/codecs/j2k-header.js';
import { openjpegOwn, openjpegCornerstone } from '../../src/codecs/openjpeg.js';
import type { PixelDescription } from '../../src/dicom/description.js';

const dir = mkdtempSync(join(tmpdir(), 'dicomflow-prefix-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A 12-bit phantom with structure at every scale (gradients, discs, noise), as a 16-bit PGM. */
function pgm(width: number, height: number, seed: number): string {
  const path = join(dir, `img-${width}x${height}-${seed}.pgm`);
  const header = Buffer.from(`P5\n${width} ${height}\n4095\n`, 'ascii');
  const body = Buffer.alloc(width * height * 2);
  let s = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const noise = (s >>> 0) % 64;
      const disc = (x - width * 0.4) ** 2 + (y - height * 0.6) ** 2 < (width * 0.15) ** 2 ? 900 : 0;
      const v = Math.min(4095, Math.round(1000 + 1500 * Math.sin(x / 37) * Math.cos(y / 23) + (x * 2000) / width + disc + noise));
      body.writeUInt16BE(Math.max(0, v), 2 * (y * width + x));
    }
  }
  writeFileSync(path, Buffer.concat([header, body]));
  return path;
}

function encode(image: string, name: string, args: string[]): Uint8Array {
  const out = join(dir, `${name}.j2k`);
  execFileSync('opj_compress', ['-i', image, '-o', out, ...args], { stdio: 'pipe' });
  return new Uint8Array(readFileSync(out));
}

/** Packet lengths from the PLT markers of every tile-part header (A.7.3), with where each tile-part's packets start. */
function pltPackets(b: Uint8Array): { starts: number[]; lengths: number[][] } {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  let at = 4 + dv.getUint16(4);
  while (dv.getUint16(at) !== 0xff90) at += 2 + dv.getUint16(at + 2);
  const starts: number[] = [];
  const lengths: number[][] = [];
  for (;;) {
    if (dv.getUint16(at) !== 0xff90) break;
    const psot = dv.getUint32(at + 6);
    let h = at + 12;
    const mine: number[] = [];
    while (dv.getUint16(h) !== 0xff93) {
      const len = dv.getUint16(h + 2);
      if (dv.getUint16(h) === 0xff58) {
        let v = 0;
        for (let i = h + 5; i < h + 2 + len; i++) {
          v = v * 128 + (b[i]! & 0x7f);
          if ((b[i]! & 0x80) === 0) {
            mine.push(v);
            v = 0;
          }
        }
      }
      h += 2 + len;
    }
    starts.push(h + 2);
    lengths.push(mine);
    at += psot;
  }
  return { starts, lengths };
}

function description(width: number, height: number): PixelDescription {
  return { rows: height, columns: width, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 12, highBit: 11, pixelRepresentation: 0, photometricInterpretation: 'MONOCHROME2', planarConfiguration: 0, frames: 1 } as unknown as PixelDescription;
}

async function samePixelsAtLevel(cs: Uint8Array, cut: Uint8Array, level: number, w: number, h: number): Promise<{ same: boolean; size: string }> {
  const d = description(w, h);
  // The largest size that still chooses this level (chooseLevel wants at most half the frame per level).
  const atLeast = { width: Math.floor(w / 2 ** level), height: Math.floor(h / 2 ** level) };
  const whole = await openjpegOwn.decode(cs, d, { atLeast });
  const part = await openjpegOwn.decode(cut, d, { atLeast, prefixLevel: level });
  const same = whole.width === part.width && whole.height === part.height && whole.pixels.every((v, i) => v === part.pixels[i]);
  return { same, size: `${part.width}x${part.height}` };
}

const CASES: { name: string; w: number; h: number; args: string[]; levels: number[] }[] = [
  { name: 'rpcl', w: 1024, h: 768, args: ['-p', 'RPCL', '-n', '6'], levels: [1, 2, 3, 5] },
  { name: 'rlcp-cblk32', w: 517, h: 389, args: ['-p', 'RLCP', '-n', '5', '-b', '32,32'], levels: [1, 2, 4] },
  { name: 'lrcp-one-layer', w: 640, h: 480, args: ['-p', 'LRCP', '-n', '5'], levels: [1, 3] },
  { name: 'rpcl-precincts', w: 700, h: 500, args: ['-p', 'RPCL', '-n', '5', '-c', '[128,128],[64,64]'], levels: [1, 2, 3] },
  { name: 'rpcl-sop-eph', w: 512, h: 512, args: ['-p', 'RPCL', '-n', '5', '-SOP', '-EPH'], levels: [1, 2, 3] },
  { name: 'rpcl-bypass', w: 512, h: 300, args: ['-p', 'RPCL', '-n', '4', '-M', '1'], levels: [1, 2] },
  { name: 'rpcl-termall-segmark', w: 300, h: 512, args: ['-p', 'RPCL', '-n', '4', '-M', '36'], levels: [1, 3] },
  { name: 'rpcl-all-styles', w: 400, h: 400, args: ['-p', 'RPCL', '-n', '4', '-M', '63'], levels: [1, 2] },
  { name: 'rpcl-layers', w: 512, h: 512, args: ['-p', 'RPCL', '-n', '5', '-r', '40,10,1'], levels: [1, 2, 3] },
  { name: 'rpcl-tile-parts', w: 512, h: 512, args: ['-p', 'RPCL', '-n', '5', '-TP', 'R'], levels: [1, 3] },
  { name: 'pcrl-one-precinct', w: 600, h: 400, args: ['-p', 'PCRL', '-n', '5'], levels: [1, 2] },
];

t.test('the prefix ends exactly where the PLT marker says the kept resolutions end, and decodes to the same pixels', async (t) => {
  for (const c of CASES) {
    const image = pgm(c.w, c.h, c.w * 7 + c.h);
    const cs = encode(image, c.name, [...c.args, '-PLT']);
    const plt = pltPackets(cs);
    const header = readJ2kHeader(cs);
    for (const level of c.levels) {
      const plan = prefixFor(cs, level, { total: cs.length });
      if (!plan.ok) {
        t.fail(`${c.name} level ${level}: ${plan.why}`);
        continue;
      }
      // Walk the PLT lengths across tile-parts to the packet count the plan says it kept.
      let left = plan.packets;
      let expected = -1;
      for (let tp = 0; tp < plt.starts.length; tp++) {
        let p = plt.starts[tp]!;
        for (const len of plt.lengths[tp]!) {
          if (left === 0) break;
          p += len;
          left--;
        }
        if (left === 0) {
          // The next packet starts here, or in the next tile-part (then the prefix ends with this one).
          expected = p;
          break;
        }
      }
      t.equal(plan.bytes, expected, `${c.name} level ${level}: prefix ${plan.bytes} bytes of ${cs.length}, ${plan.packets} packets, as PLT says`);
      const { same, size } = await samePixelsAtLevel(cs, cutCodestream(cs, plan), level, c.w, c.h);
      const want = sizeAtLevel(header, level);
      t.ok(same, `${c.name} level ${level}: the ${size} decode of the prefix equals the whole codestream's (${want.width}x${want.height})`);
    }
  }
});

t.test('without PLT the same prefix is found from the packet headers alone', async (t) => {
  for (const c of CASES.slice(0, 4)) {
    const image = pgm(c.w, c.h, c.w * 7 + c.h);
    const withPlt = prefixFor(encode(image, `${c.name}-plt`, [...c.args, '-PLT']), c.levels[0]!);
    const without = encode(image, `${c.name}-noplt`, c.args);
    const plan = prefixFor(without, c.levels[0]!);
    t.ok(plan.ok && withPlt.ok, `${c.name}: both planned`);
    if (plan.ok && withPlt.ok) t.equal(plan.packets, withPlt.packets, `${c.name}: same packet count`);
    if (plan.ok) t.ok((await samePixelsAtLevel(without, cutCodestream(without, plan), c.levels[0]!, c.w, c.h)).same, `${c.name}: same pixels`);
  }
});

t.test('codestreams that do not put the low resolutions first are refused with the reason', async (t) => {
  const image = pgm(512, 512, 3);
  const cases: [string, string[], RegExp][] = [
    ['lrcp-layers', ['-p', 'LRCP', '-n', '5', '-r', '40,10,1'], /LRCP with 3 quality layers/],
    ['tiles', ['-p', 'RPCL', '-n', '4', '-t', '256,256'], /2x2 tiles/],
    ['pcrl-precincts', ['-p', 'PCRL', '-n', '4', '-c', '[128,128]'], /several precincts/],
  ];
  for (const [name, args, why] of cases) {
    const plan = prefixFor(encode(image, name, args), 2);
    t.notOk(plan.ok, `${name}: no prefix`);
    if (!plan.ok) t.match(plan.why, why, `${name}: ${plan.why}`);
  }
  const full = prefixFor(encode(image, 'full', ['-p', 'RPCL']), 0);
  t.notOk(full.ok, 'level 0 needs everything');
});

t.test('a plan from the first bytes only asks for more, then agrees with the plan from all bytes', async (t) => {
  const cs = encode(pgm(1024, 1024, 9), 'grow', ['-p', 'RPCL', '-n', '6']);
  const all = prefixFor(cs, 3, { total: cs.length });
  t.ok(all.ok);
  let have = 256;
  let plan = prefixFor(cs.subarray(0, have), 3, { total: cs.length });
  let rounds = 0;
  while (!plan.ok && plan.need !== undefined && rounds++ < 40) {
    t.ok(plan.need > have, `asks for ${plan.need} > ${have} bytes`);
    have = Math.min(cs.length, Math.max(plan.need, have * 2));
    plan = prefixFor(cs.subarray(0, have), 3, { total: cs.length });
  }
  t.same(plan, all, `same plan after reading ${have} of ${cs.length} bytes`);
  if (all.ok) t.ok(have < cs.length / 4, 'without reading the whole codestream');
});

t.test('the cut codestream is complete: the cornerstone build (strict) decodes it to the same pixels, and a wrong level is refused', async (t) => {
  const cs = encode(pgm(512, 512, 5), 'strict', ['-p', 'RPCL', '-n', '5']);
  const plan = prefixFor(cs, 2);
  t.ok(plan.ok);
  if (!plan.ok) return;
  const cut = cutCodestream(cs, plan);
  const d = description(512, 512);
  const atLeast = { width: 128, height: 128 };
  const a = await openjpegCornerstone.decode(cut, d, { atLeast });
  const b = await openjpegCornerstone.decode(cs, d, { atLeast });
  t.same([a.width, a.height], [128, 128]);
  t.ok(a.pixels.every((v, i) => v === b.pixels[i]), 'cornerstone: prefix = whole at level 2');
  await t.rejects(openjpegOwn.decode(cut, d, { atLeast: { width: 256, height: 256 }, prefixLevel: 2 }), /read only up to resolution level 2/);
});
