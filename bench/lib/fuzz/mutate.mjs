/**
 * Seeded mutations of DICOM files, the kinds of damage real collections hold:
 * bit flips, truncation anywhere, runs of random bytes, element lengths set
 * huge or odd, duplicated and deleted blocks, and damaged codestream marker
 * segments (JPEG SOF/SOS, J2K SIZ/COD/SOT, JPEG-LS SOF55, RLE headers).
 * The same (seed, index, file) always gives the same mutant.
 */
import { createRandom, deriveSeed } from '../../../dist/synth/random.js';

/** Marker segments worth damaging, as the two bytes that start them. */
const MARKERS = {
  'JPEG SOF': [0xc0, 0xc1, 0xc2, 0xc3],
  'JPEG SOS': [0xda],
  'JPEG-LS SOF55': [0xf7],
  'J2K SIZ': [0x51],
  'J2K COD': [0x52],
  'J2K SOT': [0x90],
};

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
/** Groups whose element lengths the reader acts on: image pixel description, pixel data, items. */
const LENGTH_GROUPS = [
  [0x28, 0x00],
  [0xe0, 0x7f],
  [0xfe, 0xff],
  [0x02, 0x00],
  [0x08, 0x00],
];

function positionsOf(b, test, limit = 4096) {
  const out = [];
  for (let i = 0; i + 1 < b.length && out.length < limit; i++) if (test(b, i)) out.push(i);
  return out;
}

/** Where the top-level Pixel Data value starts (little-endian tag bytes), or 0. */
function pixelStart(b) {
  for (let i = b.length - 4; i >= 0; i--) if (b[i] === 0xe0 && b[i + 1] === 0x7f && (b[i + 2] === 0x10 || b[i + 2] === 0x08 || b[i + 2] === 0x09) && b[i + 3] === 0x00) return i;
  return 0;
}

/**
 * A position to damage: half the time inside the pixel data, so that the codecs (not
 * only the header reader) see broken input; the rest anywhere in the file.
 */
function where(b, rng, room = 1) {
  const p = rng.next() < 0.5 ? pixelStart(b) : 0;
  return p + rng.int(Math.max(1, b.length - p - room));
}

function pick(rng, list) {
  return list[rng.int(list.length)];
}

/** Where an element's length field is, for an element header starting at `p`, or null. */
function lengthField(b, p) {
  const isVr = (i) => b[i] >= 0x41 && b[i] <= 0x5a && b[i + 1] >= 0x41 && b[i + 1] <= 0x5a;
  if (b[p] === 0xfe && b[p + 1] === 0xff) return { at: p + 4, bytes: 4 }; // item: always a 32-bit length
  if (p + 8 <= b.length && isVr(p + 4)) {
    const vr = String.fromCharCode(b[p + 4], b[p + 5]);
    return LONG_VRS.has(vr) ? (p + 12 <= b.length ? { at: p + 8, bytes: 4 } : null) : { at: p + 6, bytes: 2 };
  }
  return p + 8 <= b.length ? { at: p + 4, bytes: 4 } : null; // implicit VR
}

const MUTATORS = {
  bitflip(b, rng) {
    const o = b.slice();
    const n = 1 + rng.int(8);
    for (let k = 0; k < n; k++) o[where(o, rng)] ^= 1 << rng.int(8);
    return { bytes: o, what: `${n} bit flip(s)` };
  },
  truncate(b, rng) {
    const at = where(b, rng);
    return { bytes: b.slice(0, at), what: `truncated at byte ${at} of ${b.length}` };
  },
  randomRun(b, rng) {
    const o = b.slice();
    const len = 1 + rng.int(64);
    const at = where(o, rng, len);
    for (let k = 0; k < len && at + k < o.length; k++) o[at + k] = rng.int(256);
    return { bytes: o, what: `${len} random bytes at ${at}` };
  },
  elementLength(b, rng) {
    const starts = positionsOf(b, (x, i) => LENGTH_GROUPS.some(([g0, g1]) => x[i] === g0 && x[i + 1] === g1) && i % 2 === 0);
    const fields = starts.map((p) => lengthField(b, p)).filter(Boolean);
    if (fields.length === 0) return MUTATORS.bitflip(b, rng);
    const f = pick(rng, fields);
    const o = b.slice();
    const dv = new DataView(o.buffer, o.byteOffset, o.length);
    const old = f.bytes === 4 ? dv.getUint32(f.at, true) : dv.getUint16(f.at, true);
    const max = f.bytes === 4 ? 0xffffffff : 0xffff;
    const choices = [max, max - 1, 0x7fffffff & max, old + 1, old | 1, old * 4 + 2, 0, old > 2 ? old - 2 : 1, rng.int(max)];
    const v = Math.min(max, pick(rng, choices)) >>> 0;
    if (f.bytes === 4) dv.setUint32(f.at, v, true);
    else dv.setUint16(f.at, v & 0xffff, true);
    return { bytes: o, what: `element length at byte ${f.at} set from ${old} to ${v}` };
  },
  duplicateBlock(b, rng) {
    const len = 1 + rng.int(Math.min(4096, b.length));
    const from = rng.int(Math.max(1, b.length - len));
    const to = rng.int(b.length);
    const o = new Uint8Array(b.length + len);
    o.set(b.subarray(0, to), 0);
    o.set(b.subarray(from, from + len), to);
    o.set(b.subarray(to), to + len);
    return { bytes: o, what: `${len} bytes from ${from} copied to ${to}` };
  },
  deleteBlock(b, rng) {
    const len = 1 + rng.int(Math.min(4096, Math.max(1, b.length - 1)));
    const at = rng.int(Math.max(1, b.length - len));
    const o = new Uint8Array(b.length - len);
    o.set(b.subarray(0, at), 0);
    o.set(b.subarray(at + len), at);
    return { bytes: o, what: `${len} bytes deleted at ${at}` };
  },
  marker(b, rng) {
    const kinds = Object.entries(MARKERS)
      .map(([name, codes]) => [name, positionsOf(b, (x, i) => x[i] === 0xff && codes.includes(x[i + 1]), 64)])
      .filter(([, at]) => at.length > 0);
    if (kinds.length === 0) return MUTATORS.rleHeader(b, rng);
    const [name, at] = pick(rng, kinds);
    const p = pick(rng, at);
    const o = b.slice();
    // A field of the segment: its length, a dimension, the component count, a tile index.
    const q = Math.min(o.length - 1, p + 2 + rng.int(14));
    o[q] = pick(rng, [0x00, 0xff, (o[q] + 1) & 0xff, (o[q] - 1) & 0xff, rng.int(256), o[q] ^ 0x80]);
    return { bytes: o, what: `${name} marker segment at byte ${p}: byte ${q} changed` };
  },
  rleHeader(b, rng) {
    // The 64-byte RLE header follows a fragment's item tag (FE FF 00 E0, length); elsewhere this
    // damages the start of a codestream, which is a mutation worth having too.
    const items = positionsOf(b, (x, i) => x[i] === 0xfe && x[i + 1] === 0xff && x[i + 2] === 0x00 && x[i + 3] === 0xe0, 64).filter((i) => i + 8 + 64 <= b.length);
    if (items.length < 2) return MUTATORS.randomRun(b, rng);
    const p = pick(rng, items.slice(1)) + 8; // not the offset table
    const o = b.slice();
    const dv = new DataView(o.buffer, o.byteOffset, o.length);
    const field = rng.int(16);
    const old = dv.getUint32(p + 4 * field, true);
    const v = pick(rng, [0, 1, 15, 16, 0xffffffff, old + 1, old - 1, old * 2, rng.uint32()]) >>> 0;
    dv.setUint32(p + 4 * field, v, true);
    return { bytes: o, what: `fragment header at byte ${p}: 32-bit field ${field} set from ${old} to ${v}` };
  },
};

export const MUTATION_KINDS = Object.keys(MUTATORS);

/**
 * Mutant number `index` of `bytes`: one to three mutations chosen by the seed.
 *
 * @example const m = mutate(fixture, 1, 17); m.bytes; m.mutations // ['truncated at byte 812 of 4410']
 */
export function mutate(bytes, seed, index) {
  const rng = createRandom(deriveSeed(seed, `mutant/${index}`));
  const n = 1 + rng.int(3);
  let b = bytes;
  const mutations = [];
  for (let k = 0; k < n; k++) {
    const kind = pick(rng, MUTATION_KINDS);
    const r = MUTATORS[kind](b, rng);
    b = r.bytes;
    mutations.push(`${kind}: ${r.what}`);
    if (b.length === 0) break;
  }
  return { bytes: b, mutations };
}
