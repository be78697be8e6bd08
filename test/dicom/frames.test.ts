import { deflateRawSync } from 'node:zlib';
import t from 'tap';
import { cat, el, imageModule, meta, readAll, text, us, item, itemDelim, seqDelim, encapsulatedPixelData, jpegLike, UNDEFINED, ELE, ILE, EBE } from '../helpers/dicom.js';
import { realignBits } from '../../src/dicom/frames.js';
import { TS, bitAt, bits1File, floatFile, packBits, pixelModule, swapWords } from './build-classes.js';

const JPEG_LS = '1.2.840.10008.1.2.4.80';
const RLE = '1.2.840.10008.1.2.5';
const img = (frames: number) => imageModule({ rows: 8, columns: 8, frames, bitsAllocated: 8 });

t.test('basic offset table: frames split over several fragments', async (t) => {
  const a = [jpegLike(10, 1)];
  const b = [jpegLike(6, 2), new Uint8Array(8).fill(22), new Uint8Array(4).fill(23)];
  const c = [jpegLike(12, 3)];
  // Offsets count from the first fragment's item tag: 8-byte item header + value.
  const bot = [0, 8 + 10, 8 + 10 + (8 + 6) + (8 + 8) + (8 + 4)];
  const r = await readAll(cat(meta(JPEG_LS), img(3), encapsulatedPixelData([...a, ...b, ...c], bot)), 5);
  t.equal(r.error, null);
  t.same(r.frames.map((f) => [...f.bytes]), [[...a[0]!], [...cat(...b)], [...c[0]!]]);
});

t.test('extended offset table with an empty basic offset table', async (t) => {
  const frags = [jpegLike(10, 1), new Uint8Array(6).fill(9), jpegLike(8, 2), jpegLike(4, 3)];
  // Frame 0 = fragments 0+1, frame 1 = fragment 2, frame 2 = fragment 3.
  const starts = [0, 8 + 10 + 8 + 6, 8 + 10 + 8 + 6 + 8 + 8];
  const eot = new Uint8Array(24);
  const eotl = new Uint8Array(24);
  starts.forEach((s, i) => new DataView(eot.buffer).setBigUint64(i * 8, BigInt(s), true));
  [16, 8, 4].forEach((s, i) => new DataView(eotl.buffer).setBigUint64(i * 8, BigInt(s), true));
  // Fragment 1 here does not start with a marker, and frame 1 does: only the table says where frames are.
  const bytes = cat(meta(JPEG_LS), img(3), el(0x7fe00001, 'OV', eot), el(0x7fe00002, 'OV', eotl), encapsulatedPixelData(frags));
  const r = await readAll(bytes, 3);
  t.equal(r.error, null);
  t.same(r.frames.map((f) => f.bytes.length), [16, 8, 4]);
  t.same([...r.frames[0]!.bytes.subarray(10)], [9, 9, 9, 9, 9, 9]);
});

t.test('empty offset table: frames found by their start marker, even split over fragments', async (t) => {
  const frags = [jpegLike(10, 1), new Uint8Array(10).fill(5), jpegLike(4, 2), jpegLike(6, 3), new Uint8Array(2).fill(6)];
  const r = await readAll(cat(meta(JPEG_LS), img(3), encapsulatedPixelData(frags)), 7);
  t.equal(r.error, null);
  t.same(r.frames.map((f) => f.bytes.length), [20, 4, 8]);
});

t.test('an inconsistent basic offset table is not trusted', async (t) => {
  const frags = [jpegLike(10, 1), jpegLike(4, 2), jpegLike(6, 3)];
  const r = await readAll(cat(meta(JPEG_LS), img(3), encapsulatedPixelData(frags, [0, 18])), 7); // 2 entries for 3 frames
  t.equal(r.error, null);
  t.same(r.frames.map((f) => f.bytes.length), [10, 4, 6]);
});

t.test('one frame in several fragments', async (t) => {
  const frags = [jpegLike(10, 1), jpegLike(10, 1), new Uint8Array(4)];
  const r = await readAll(cat(meta(JPEG_LS), img(1), encapsulatedPixelData(frags)));
  t.equal(r.error, null);
  t.equal(r.frames.length, 1);
  t.equal(r.frames[0]!.bytes.length, 24);
});

t.test('RLE with an empty offset table: one fragment per frame', async (t) => {
  const frags = [new Uint8Array(64).fill(1), new Uint8Array(64).fill(2)];
  const r = await readAll(cat(meta(RLE), img(2), encapsulatedPixelData(frags)));
  t.same(r.frames.map((f) => f.bytes[0]), [1, 2]);
});

t.test('fewer frames than NumberOfFrames: delivered, then DF_ERR_FRAME_COUNT', async (t) => {
  const r = await readAll(cat(meta(JPEG_LS), img(3), encapsulatedPixelData([jpegLike(10, 1), jpegLike(10, 2)])));
  t.equal(r.frames.length, 2);
  t.equal(r.error?.code, 'DF_ERR_FRAME_COUNT');
  t.match(r.error?.details, { framesFound: 2, framesDeclared: 3 });
});

t.test('an icon image sequence does not lend its Rows, Columns or Pixel Data to the image', async (t) => {
  const icon = cat(
    us(0x00280010, 4),
    us(0x00280011, 4),
    us(0x00280100, 8),
    text(0x00280004, 'CS', 'MONOCHROME1'),
    el(0x7fe00010, 'OB', new Uint8Array(0), ELE, UNDEFINED),
    item(new Uint8Array(0)),
    item(jpegLike(16, 7)),
    seqDelim(),
  );
  const seq = cat(el(0x00880200, 'SQ', new Uint8Array(0), ELE, UNDEFINED), item(icon, UNDEFINED), itemDelim(), seqDelim());
  // The icon comes before the image's own attributes (0088 > 0028 is not tag order, but readers must cope).
  const bytes = cat(meta('1.2.840.10008.1.2.1'), seq, imageModule({ rows: 3, columns: 5, bitsAllocated: 8 }), el(0x7fe00010, 'OB', new Uint8Array(16).fill(9)));
  const r = await readAll(bytes, 3);
  t.equal(r.error, null);
  t.match(r.description, { rows: 3, columns: 5, photometricInterpretation: 'MONOCHROME2' });
  t.equal(r.frames[0]!.bytes.length, 15);
});

t.test('enhanced multi-frame: rescale from shared and per-frame functional groups', async (t) => {
  const pvt = (slope: string, intercept: string) =>
    cat(el(0x00289145, 'SQ', item(cat(text(0x00281052, 'DS', intercept), text(0x00281053, 'DS', slope))).slice(0)));
  const shared = el(0x52009229, 'SQ', item(cat(el(0x00289132, 'SQ', item(cat(text(0x00281050, 'DS', '40'), text(0x00281051, 'DS', '400')))))));
  const perFrame = el(0x52009230, 'SQ', cat(item(pvt('1', '-1024')), item(pvt('2', '-2048'))));
  const bytes = cat(
    meta('1.2.840.10008.1.2.1'),
    imageModule({ rows: 2, columns: 2, frames: 2 }),
    shared,
    perFrame,
    el(0x7fe00010, 'OW', new Uint8Array(16)),
  );
  const r = await readAll(bytes, 5);
  t.equal(r.error, null);
  t.match(r.description, { windowCenter: 40, windowWidth: 400, rescaleSlope: 1, rescaleIntercept: -1024 });
  t.same(r.description?.frameRescale, [
    { slope: 1, intercept: -1024 },
    { slope: 2, intercept: -2048 },
  ]);
});

t.test('implicit VR: undefined-length sequences are walked, values kept only at the top level', async (t) => {
  const nested = cat(el(0x00400275, '', cat(item(cat(us(0x00280010, 99, ILE)), UNDEFINED), itemDelim(), seqDelim()), ILE, UNDEFINED));
  const bytes = cat(meta('1.2.840.10008.1.2'), nested, imageModule({ rows: 2, columns: 3, bitsAllocated: 8 }, ILE), el(0x7fe00010, '', new Uint8Array(6), ILE));
  const r = await readAll(bytes, 1);
  t.equal(r.error, null);
  t.match(r.description, { rows: 2, columns: 3, transferSyntax: '1.2.840.10008.1.2' });
});

t.test('explicit VR UN of undefined length holds implicit VR content (CP-246)', async (t) => {
  const content = cat(item(us(0x00280010, 77, ILE), UNDEFINED), itemDelim(), seqDelim());
  const bytes = cat(meta('1.2.840.10008.1.2.1'), el(0x00091001, 'UN', content, ELE, UNDEFINED), imageModule({ rows: 2, columns: 2, bitsAllocated: 8 }), el(0x7fe00010, 'OB', new Uint8Array(4)));
  const r = await readAll(bytes, 2);
  t.equal(r.error, null);
  t.equal(r.description?.rows, 2);
});

t.test('explicit VR big endian: 16-bit stored values come out little endian', async (t) => {
  const px = new Uint8Array(8);
  const dv = new DataView(px.buffer);
  [1, 256, 0x1234, 0xfffe].forEach((v, i) => dv.setUint16(i * 2, v, false));
  const bytes = cat(meta('1.2.840.10008.1.2.2'), imageModule({ rows: 2, columns: 2 }, EBE), el(0x7fe00010, 'OW', px, EBE));
  const r = await readAll(bytes, 3);
  t.equal(r.error, null);
  t.same([...new Uint16Array(r.frames[0]!.bytes.buffer)], [1, 256, 0x1234, 0xfffe]);
});

t.test('no preamble, and neither preamble nor meta', async (t) => {
  const body = cat(imageModule({ rows: 2, columns: 2, bitsAllocated: 8 }), el(0x7fe00010, 'OB', Uint8Array.of(1, 2, 3, 4)));
  let r = await readAll(cat(meta('1.2.840.10008.1.2.1', false), body), 1);
  t.equal(r.error, null, 'meta without preamble');
  t.same([...r.frames[0]!.bytes], [1, 2, 3, 4]);
  r = await readAll(body, 1);
  t.equal(r.error, null, 'bare explicit VR data set');
  t.equal(r.description?.transferSyntax, '1.2.840.10008.1.2.1');
  const implicitBody = cat(imageModule({ rows: 2, columns: 2, bitsAllocated: 8 }, ILE), el(0x7fe00010, '', Uint8Array.of(1, 2, 3, 4), ILE));
  r = await readAll(implicitBody, 1);
  t.equal(r.error, null, 'bare implicit VR data set');
  t.equal(r.description?.transferSyntax, '1.2.840.10008.1.2');
});

t.test('only the pixel description and ids leave the header', async (t) => {
  const r = await readAll(cat(meta('1.2.840.10008.1.2.1'), imageModule({ rows: 2, columns: 2, bitsAllocated: 8 }), el(0x7fe00010, 'OB', new Uint8Array(4))));
  const json = JSON.stringify(r.description);
  t.notMatch(json, /Doe|Jane/, 'patient name is not carried');
  t.match(r.description?.ids, { patientId: 'PAT-1', sopInstanceUid: '1.2.3.4.5.6', studyInstanceUid: '1.2.3.4', seriesInstanceUid: '1.2.3.4.5' });
});

// ---- 1-bit (bit-packed) and float pixel data -------------------------------------------

t.test('1-bit frames that start mid-byte are delivered re-aligned to bit 0, unused bits cleared', async (t) => {
  // 13 x 11 = 143 pixels: frame 1 starts at bit 143 (bit 7 of byte 17), frame 2 at bit 286 (bit 6 of byte 35).
  const { bytes, values } = bits1File({ rows: 11, columns: 13, frames: 3 });
  const r = await readAll(bytes, 5);
  t.equal(r.error, null);
  t.match(r.description, { bitsAllocated: 1, bitsStored: 1, highBit: 0, frameBytes: 18, pixelData: 'integer' });
  t.equal(r.frames.length, 3);
  for (const f of r.frames) {
    t.equal(f.bytes.length, 18, `frame ${f.index}: ceil(143 / 8) bytes`);
    const got = Array.from({ length: 143 }, (_, k) => bitAt(f.bytes, k));
    t.same(got, [...values.subarray(f.index * 143, (f.index + 1) * 143)], `frame ${f.index}: pixels`);
    t.equal(f.bytes[17]! >> 7, 0, `frame ${f.index}: bit 143 (the next frame's) is cleared`);
  }
  // Frame 1, byte 0 by hand: pixels 143..150 of the stream = bit 7 of byte 17, then bits 0..6 of byte 18.
  const stream = packBits(values);
  t.equal(r.frames[1]!.bytes[0], ((stream[17]! >> 7) | (stream[18]! << 1)) & 0xff, 'frame 1 byte 0 from bytes 17 and 18');
});

t.test('realignBits shifts in place and masks the tail', async (t) => {
  t.same([...realignBits(Uint8Array.of(0b1010_0000, 0b0000_0011), 5, 5)], [0b0001_1101]);
  t.same([...realignBits(Uint8Array.of(0xff, 0xff), 0, 9)], [0xff, 0x01], 'aligned: only the tail is masked');
  t.same([...realignBits(Uint8Array.of(0x80, 0x01, 0xfe), 7, 9)], [0x03, 0x00], 'two bytes spread over three');
});

t.test('Explicit VR Big Endian 1-bit: OW words are swapped back, OB is read as it is', async (t) => {
  const le = await readAll(bits1File({ rows: 11, columns: 13, frames: 3 }).bytes);
  for (const encoding of ['be-ow', 'be-ob', 'implicit'] as const) {
    const other = await readAll(bits1File({ rows: 11, columns: 13, frames: 3, encoding }).bytes, 3);
    t.equal(other.error, null, encoding);
    t.same(other.frames.map((f) => [...f.bytes]), le.frames.map((f) => [...f.bytes]), `${encoding}: the same frames as little endian`);
  }
});

t.test('8-bit OW in big endian: words swapped back across odd-sized frames', async (t) => {
  // Two 3x3 frames 1..9 and 10..18: the word holding pixels 9 and 10 straddles the frames.
  const px = Uint8Array.from({ length: 18 }, (_, i) => i + 1);
  const bytes = cat(meta(TS.explicitBE), pixelModule({ rows: 3, columns: 3, frames: 2, bitsAllocated: 8 }, EBE), el(0x7fe00010, 'OW', swapWords(px), EBE));
  for (const size of [1, 7, 65536]) {
    const r = await readAll(bytes, size);
    t.equal(r.error, null);
    t.same(r.frames.map((f) => [...f.bytes]), [[...px.subarray(0, 9)], [...px.subarray(9)]], `${size}-byte chunks`);
  }
  const ob = cat(meta(TS.explicitBE), pixelModule({ rows: 3, columns: 3, frames: 2, bitsAllocated: 8 }, EBE), el(0x7fe00010, 'OB', px, EBE));
  t.same((await readAll(ob)).frames.map((f) => f.bytes[0]), [1, 10], 'OB is not swapped');
});

t.test('1-bit element length is checked against ceil(frames * pixels / 8)', async (t) => {
  // 3 x 143 = 429 bits need 54 bytes; the file holds 52.
  let r = await readAll(bits1File({ rows: 11, columns: 13, frames: 3, shorten: 2 }).bytes);
  t.equal(r.error?.code, 'DF_ERR_MALFORMED');
  t.match(r.error?.message, /holds 52 bytes but 3 frame\(s\) of 11x13x1 at 1 bits need 54/);
  t.equal(r.frames.length, 0, 'nothing is delivered from pixel data that contradicts the description');
  // 8 x 8 x 1 frame = 8 bytes exactly; no padding needed, none missing.
  r = await readAll(bits1File({ rows: 8, columns: 8, frames: 1 }).bytes);
  t.equal(r.error, null);
  t.equal(r.frames[0]!.bytes.length, 8);
});

t.test('1-bit input cut inside frame 2: two frames, then DF_ERR_TRUNCATED_PIXEL_DATA', async (t) => {
  const { bytes } = bits1File({ rows: 11, columns: 13, frames: 3 });
  const r = await readAll(bytes.subarray(0, bytes.length - 10), 7, { totalBytes: undefined as unknown as number });
  t.equal(r.frames.length, 2);
  t.equal(r.error?.code, 'DF_ERR_TRUNCATED_PIXEL_DATA');
  t.equal(r.error?.where.frame, 2);
  t.match(r.error?.details, { framesDelivered: 2, framesDeclared: 3 });
});

t.test('float pixel data: 4- and 8-byte words come out little endian', async (t) => {
  const values = [1.5, -2.25, 1e-40, -0, Infinity, NaN];
  for (const kind of ['float32', 'float64'] as const) {
    const width = kind === 'float32' ? 4 : 8;
    const le = await readAll(floatFile({ rows: 2, columns: 3, frames: 1, kind, values }));
    const be = await readAll(floatFile({ rows: 2, columns: 3, frames: 1, kind, values, bigEndian: true }), 5);
    t.equal(be.error, null, kind);
    t.equal(le.frames[0]!.bytes.length, 6 * width);
    t.same([...be.frames[0]!.bytes], [...le.frames[0]!.bytes], `${kind}: big endian equals little endian`);
    const dv = new DataView(le.frames[0]!.bytes.buffer);
    t.same(
      values.map((_, i) => (width === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true))),
      values.map((v) => (width === 4 ? Math.fround(v) : v)),
      `${kind}: values`,
    );
  }
});

t.test('a second pixel data element after the first is DF_ERR_MALFORMED', async (t) => {
  const module = pixelModule({ rows: 2, columns: 2, bitsAllocated: 32, bitsStored: null, pixelRepresentation: null });
  const float = el(0x7fe00008, 'OF', new Uint8Array(16));
  let r = await readAll(cat(meta(TS.explicitLE), module, float, el(0x7fe00010, 'OW', new Uint8Array(16))), 3);
  t.equal(r.frames.length, 1, 'the first element is read');
  t.equal(r.error?.code, 'DF_ERR_MALFORMED');
  t.match(r.error?.message, /Pixel Data \(7FE0,0010\) follows Float Pixel Data \(7FE0,0008\)/);
  t.match(r.error?.details, { first: '(7FE0,0008)', second: '(7FE0,0010)' });
  r = await readAll(cat(meta(TS.explicitLE), module, float, el(0x7fe00009, 'OD', new Uint8Array(32))));
  t.match(r.error?.message, /Double Float Pixel Data \(7FE0,0009\) follows/);
  // Padding past the frames, then an ordinary trailing element: fine.
  r = await readAll(cat(meta(TS.explicitLE), module, el(0x7fe00008, 'OF', new Uint8Array(20)), el(0xfffcfffc, 'OB', new Uint8Array(4))));
  t.equal(r.error, null, 'trailing padding element after float pixel data');
});

t.test('deflated 1-bit data set: frames as in the plain file', async (t) => {
  const { bytes, values } = bits1File({ rows: 11, columns: 13, frames: 3 });
  const dataSet = bytes.subarray(meta(TS.explicitLE).length);
  const deflated = cat(meta(TS.deflated), new Uint8Array(deflateRawSync(dataSet)));
  const r = await readAll(deflated, 7);
  t.equal(r.error, null);
  t.same(r.frames.map((f) => Array.from({ length: 143 }, (_, k) => bitAt(f.bytes, k))), [0, 1, 2].map((i) => [...values.subarray(i * 143, (i + 1) * 143)]));
});

t.test('big endian OW of odd length is DF_ERR_MALFORMED (half a word would lie outside it)', async (t) => {
  const px = new Uint8Array(9);
  const bytes = cat(meta(TS.explicitBE), pixelModule({ rows: 3, columns: 3, bitsAllocated: 8 }, EBE), el(0x7fe00010, 'OW', px, EBE));
  const r = await readAll(bytes);
  t.equal(r.error?.code, 'DF_ERR_MALFORMED');
  t.match(r.error?.message, 'big endian OW Pixel Data (7FE0,0010) has an odd length (9)');
});

t.test('empty offset table: JPEG 2000 frames wrapped in a JP2 file are found by the JP2 signature', async (t) => {
  const jp2 = (len: number, fill: number) => {
    const b = new Uint8Array(len).fill(fill);
    b.set([0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]);
    return b;
  };
  const frags = [jp2(20, 1), new Uint8Array(6).fill(5), jp2(16, 2)];
  const r = await readAll(cat(meta('1.2.840.10008.1.2.4.90'), img(2), encapsulatedPixelData(frags)), 7);
  t.equal(r.error, null);
  t.same(r.frames.map((f) => f.bytes.length), [26, 16]);
  // A fragment that starts like a JP2 file is no frame start in a JPEG syntax.
  const jpeg = await readAll(cat(meta(JPEG_LS), img(2), encapsulatedPixelData([jpegLike(10, 1), jp2(12, 3), jpegLike(4, 2)])));
  t.same(jpeg.frames.map((f) => f.bytes.length), [22, 4]);
});
