import t from 'tap';
import { codecFor, decodableSyntaxes } from '../../src/codecs/index.js';
import { knownSyntaxes } from '../../src/dicom/transfer-syntax.js';
import { fixtureNames, sidecar } from '../helpers/fixtures.js';
import { decodeFixture, interleaved, maxAbsDiff, referenceFrame } from '../helpers/decode.js';

/**
 * Largest difference allowed against the independent reference decoder (GDCM,
 * or DCMTK where noted in the fixture) for lossy syntaxes. Decoders of lossy
 * codestreams may round differently; the bound says how much.
 * - JPEG baseline: libjpeg-turbo vs IJG libjpeg. Grayscale matches exactly; colour is
 *   compared after converting GDCM's YBR output to RGB here, which rounds once more.
 * - JPEG extended 12-bit: cornerstone's jpeg.js vs IJG islow IDCT.
 * - JPEG 2000: both OpenJPEG.
 * - JPEG-LS near-lossless: deterministic, must match exactly.
 */
const LOSSY_TOLERANCE: Record<string, number> = {
  '1.2.840.10008.1.2.4.50': 3,
  '1.2.840.10008.1.2.4.51': 2,
  '1.2.840.10008.1.2.4.91': 1,
  '1.2.840.10008.1.2.4.81': 0,
};

const names = fixtureNames();

t.test('every fixture transfer syntax has a codec', async (t) => {
  for (const name of names) t.ok(codecFor(sidecar(name).transferSyntax), `${name}: ${sidecar(name).transferSyntax}`);
  const video = knownSyntaxes().filter((s) => s.video).map((s) => s.uid);
  for (const uid of video) t.notOk(decodableSyntaxes().includes(uid), `video ${uid} is not claimed`);
});

t.test('lossless fixtures decode to exactly the stored values of the independent reference', async (t) => {
  let n = 0;
  for (const name of names) {
    const s = sidecar(name);
    if (s.lossy) continue;
    const { d, frames } = await decodeFixture(name);
    t.equal(frames.length, s.frames, `${name}: frames`);
    for (const [i, f] of frames.entries()) {
      t.equal(f.width, s.columns);
      t.equal(f.height, s.rows);
      const ours = interleaved(f);
      const ref = referenceFrame(name, d, i, f.photometricInterpretation);
      t.equal(ours.length, ref.length, `${name} frame ${i}: length`);
      t.equal(maxAbsDiff(ours, ref), 0, `${name} frame ${i}: exact (${f.photometricInterpretation})`);
    }
    n++;
  }
  t.ok(n >= 20, `${n} lossless fixtures`);
});

t.test('lossy fixtures decode within the stated tolerance of the reference, and of the source', async (t) => {
  for (const name of names) {
    const s = sidecar(name);
    if (!s.lossy) continue;
    const tol = LOSSY_TOLERANCE[s.transferSyntax];
    t.ok(tol !== undefined, `${name}: a tolerance is stated for ${s.transferSyntax}`);
    const { d, frames } = await decodeFixture(name);
    for (const [i, f] of frames.entries()) {
      const diff = maxAbsDiff(interleaved(f), referenceFrame(name, d, i, f.photometricInterpretation));
      t.ok(diff <= tol!, `${name} frame ${i}: max |ours - reference| = ${diff} <= ${tol}`);
    }
  }
});

t.test('signed data comes out signed, bits stored respected', async (t) => {
  const { frames } = await decodeFixture('ct_s16_j2k_lossy');
  t.ok(frames[0]!.pixels instanceof Int16Array);
  t.ok(Math.min(...frames[0]!.pixels) < -500, 'air is negative');
  const u12 = await decodeFixture('ct_u12_j2k_lossless');
  t.ok(u12.frames[0]!.pixels instanceof Uint16Array);
  t.ok(Math.max(...u12.frames[0]!.pixels) < 4096, '12 bits stored');
});
