import t from 'tap';
import { cat, el, imageModule, meta, readAll, text, us, item, itemDelim, seqDelim, encapsulatedPixelData, jpegLike, UNDEFINED, ELE, ILE, EBE } from '../helpers/dicom.js';

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
