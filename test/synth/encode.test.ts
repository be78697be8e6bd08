import t from 'tap';
import { TransferSyntax } from '../../src/dicom/transfer-syntax.js';
import { encodeFrame, planEncoding, type Codec, type FrameLayout } from '../../src/synth/encode.js';
import { ctSlice, radiograph } from '../../src/synth/phantom.js';
import { asInt16, asUint16, decodeWith, maxAbsDiff, psnr } from './helpers.js';

const CT: FrameLayout = { width: 512, height: 512, bitsStored: 16, signed: true, samples: 1 };
const CXR: FrameLayout = { width: 512, height: 512, bitsStored: 12, signed: false, samples: 1 };
const CODECS: Codec[] = ['j2k', 'htj2k', 'jpegls'];
const hu = ctSlice({ seed: 1 });
const cxr = radiograph({ seed: 1, width: 512, height: 512 });

/** Main-header facts of a J2K/HTJ2K codestream (ISO 15444-1 A.5, A.6): what the RPCL syntax asks for. */
function mainHeader(cs: Uint8Array): { progression: number; decompositions: number; tlm: boolean; cap: boolean } {
  const dv = new DataView(cs.buffer, cs.byteOffset, cs.length);
  const out = { progression: -1, decompositions: -1, tlm: false, cap: false };
  for (let at = 2; at + 4 <= cs.length; ) {
    const marker = dv.getUint16(at);
    if (marker === 0xff90) break; // SOT: the main header is over
    if (marker === 0xff52) {
      out.progression = cs[at + 5]!; // Lcod(2) Scod(1), then SGcod: progression order first
      out.decompositions = cs[at + 9]!; // SGcod is 4 bytes; SPcod starts with the level count
    }
    if (marker === 0xff55) out.tlm = true;
    if (marker === 0xff50) out.cap = true; // Part 15 capabilities: HT code blocks
    at += 2 + dv.getUint16(at + 2);
  }
  return out;
}

t.test('lossless round trips give back every stored value', async (t) => {
  for (const codec of CODECS) {
    const ct = await encodeFrame(hu, CT, codec, { lossless: true });
    const back = await decodeWith(codec, ct);
    t.same([back.info.width, back.info.height, back.info.bitsPerSample], [512, 512, 16], `${codec} CT frame info`);
    t.equal(maxAbsDiff(asInt16(back.bytes), hu), 0, `${codec}: signed 16-bit CT identical (${ct.length} bytes, ${((512 * 512 * 2) / ct.length).toFixed(2)}:1)`);
    const xr = await encodeFrame(cxr, CXR, codec, { lossless: true });
    const xrBack = await decodeWith(codec, xr);
    t.equal(xrBack.info.bitsPerSample, 12, `${codec}: radiograph stays 12-bit`);
    t.equal(maxAbsDiff(asUint16(xrBack.bytes), cxr), 0, `${codec}: 12-bit radiograph identical (${xr.length} bytes)`);
    // Realistic content compresses like real images do (about 2-4:1 lossless), not 100:1 or 1:1.
    const ratio = (512 * 512 * 2) / ct.length;
    t.ok(ratio > 1.8 && ratio < 4, `${codec}: CT lossless ratio ${ratio.toFixed(2)}`);
  }
});

t.test('lossy J2K and HTJ2K keep PSNR above 40 dB on the CT at 10:1', async (t) => {
  for (const codec of ['j2k', 'htj2k'] as const) {
    const cs = await encodeFrame(hu, CT, codec, { lossless: false });
    const back = await decodeWith(codec, cs);
    t.equal(back.reversible, false, `${codec}: irreversible wavelet`);
    const p = psnr(hu, asInt16(back.bytes));
    t.ok(p > 40, `${codec}: PSNR ${p.toFixed(1)} dB`);
    t.ok(maxAbsDiff(hu, asInt16(back.bytes)) > 0, `${codec}: really lossy`);
    // Ratio against 16-bit samples; HTJ2K hits it by searching the quantisation step (within 5%).
    const ratio = (512 * 512 * 2) / cs.length;
    t.ok(Math.abs(ratio - 10) / 10 < 0.06, `${codec}: ratio ${ratio.toFixed(2)} for 10 asked`);
  }
  const fixed = await encodeFrame(hu, CT, 'htj2k', { lossless: false, quantizationStep: 0.0003 });
  t.ok(psnr(hu, asInt16((await decodeWith('htj2k', fixed)).bytes)) > 40, 'an explicit quantisation step is used as given');
});

t.test('near-lossless JPEG-LS errs by at most NEAR, also across the sign change of signed data', async (t) => {
  for (const near of [1, 3]) {
    const cs = await encodeFrame(hu, CT, 'jpegls', { lossless: false, nearLossless: near });
    const back = await decodeWith('jpegls', cs);
    t.equal(back.nearLossless, near, `the stream carries NEAR ${near}`);
    t.equal(maxAbsDiff(hu, asInt16(back.bytes)), near, `max abs error ${near} on signed CT (values cross 0 in fat and water)`);
  }
  const xr = await encodeFrame(cxr, CXR, 'jpegls', { lossless: false, nearLossless: 2 });
  t.equal(maxAbsDiff(cxr, asUint16((await decodeWith('jpegls', xr)).bytes)), 2, 'radiograph: max abs error 2');
});

t.test('J2K and HTJ2K carry 5 decompositions, so 2048 x 2048 decodes straight to 256 x 256 (level 3)', async (t) => {
  const big = radiograph({ seed: 5 });
  const layout: FrameLayout = { width: 2048, height: 2048, bitsStored: 12, signed: false, samples: 1 };
  // The reference thumbnail: 8 x 8 block means of the full image.
  const box = new Float64Array(256 * 256);
  for (let y = 0; y < 2048; y++) for (let x = 0; x < 2048; x++) box[(y >> 3) * 256 + (x >> 3)]! += big[y * 2048 + x]! / 64;
  for (const codec of ['j2k', 'htj2k'] as const) {
    const cs = await encodeFrame(big, layout, codec, { lossless: true });
    t.equal(mainHeader(cs).decompositions, 5, `${codec}: COD says 5 levels`);
    const full = await decodeWith(codec, cs);
    t.equal(full.decompositions, 5, `${codec}: the decoder reports 5 decompositions`);
    t.equal(maxAbsDiff(asUint16(full.bytes), big), 0, `${codec}: full resolution is lossless`);
    const thumb = await decodeWith(codec, cs, 3);
    t.equal(thumb.bytes.length, 256 * 256 * 2, `${codec}: level 3 gives 256 x 256 samples`);
    const small = asUint16(thumb.bytes);
    let err = 0;
    let bias = 0;
    for (let i = 0; i < small.length; i++) {
      err += Math.abs(small[i]! - box[i]!);
      bias += small[i]! - box[i]!;
    }
    // The 5/3 low-pass band is a smoothed subsample: close to block means (the image's sd is ~780), not equal.
    t.ok(err / small.length < 30, `${codec}: level-3 image is the downscaled radiograph (mean |diff| ${(err / small.length).toFixed(1)})`);
    t.ok(Math.abs(bias / small.length) < 2, `${codec}: same brightness (mean diff ${(bias / small.length).toFixed(2)})`);
  }
});

t.test('HTJ2K lossless is RPCL with TLM and a base resolution <= 64: HTJ2KLosslessRPCL', async (t) => {
  const cs = await encodeFrame(cxr, CXR, 'htj2k', { lossless: true });
  const h = mainHeader(cs);
  t.equal(h.progression, 2, 'progression order RPCL');
  t.ok(h.tlm, 'TLM marker segment present');
  t.ok(h.cap, 'CAP marker segment present (HT code blocks)');
  t.ok(512 / 2 ** h.decompositions <= 64, `base resolution ${512 / 2 ** h.decompositions}`);
  t.equal(planEncoding(CXR, 'htj2k', { lossless: true }).transferSyntax, TransferSyntax.HTJ2KLosslessRPCL);
  // 8192 wide needs 7 levels for a 64-sample base; the default rises to that.
  const wide = planEncoding({ ...CXR, width: 8192, height: 1024 }, 'htj2k', { lossless: true });
  t.same([wide.decompositions, wide.transferSyntax], [7, TransferSyntax.HTJ2KLosslessRPCL]);
  // Too few levels for the thumbnail guarantee: plain HTJ2K Lossless.
  t.equal(planEncoding(CXR, 'htj2k', { lossless: true, decompositions: 2 }).transferSyntax, TransferSyntax.HTJ2KLossless);
});

t.test('each codec and mode maps to its transfer syntax and photometric interpretation', async (t) => {
  const plan = (c: Codec, lossless: boolean, l: FrameLayout = CT) => planEncoding(l, c, { lossless });
  t.equal(plan('j2k', true).transferSyntax, TransferSyntax.JPEG2000Lossless);
  t.equal(plan('j2k', false).transferSyntax, TransferSyntax.JPEG2000);
  t.equal(plan('htj2k', false).transferSyntax, TransferSyntax.HTJ2K);
  t.equal(plan('jpegls', true).transferSyntax, TransferSyntax.JPEGLSLossless);
  t.equal(plan('jpegls', false).transferSyntax, TransferSyntax.JPEGLSNearLossless);
  t.equal(plan('jpegls', false).nearLossless, 2, 'near-lossless defaults to NEAR 2');
  t.equal(plan('j2k', true).photometric, 'MONOCHROME2');
  const rgb: FrameLayout = { width: 64, height: 64, bitsStored: 8, signed: false, samples: 3 };
  t.same(['j2k', 'htj2k', 'jpegls'].map((c) => plan(c as Codec, true, rgb).photometric), ['YBR_RCT', 'YBR_RCT', 'RGB']);
  t.equal(plan('j2k', false, rgb).photometric, 'YBR_ICT');
  t.equal(plan('j2k', true, { ...CT, width: 16, height: 16 }).decompositions, 4, 'a 16 x 16 frame gets the 4 levels it has room for');
});

t.test('8-bit colour and signed 12-bit frames round-trip', async (t) => {
  const rgb = new Uint8Array(64 * 48 * 3).map((_, i) => ((i % 3) * 80 + Math.floor(i / 3) * 7) & 255);
  const layout: FrameLayout = { width: 64, height: 48, bitsStored: 8, signed: false, samples: 3 };
  for (const codec of CODECS) {
    const back = await decodeWith(codec, await encodeFrame(rgb, layout, codec, { lossless: true }));
    t.equal(back.info.componentCount, 3, `${codec}: 3 components`);
    t.equal(maxAbsDiff(back.bytes, rgb), 0, `${codec}: RGB identical, interleaved`);
  }
  const s12 = Int16Array.from({ length: 64 * 64 }, (_, i) => ((i * 37) % 4096) - 2048);
  const l12: FrameLayout = { width: 64, height: 64, bitsStored: 12, signed: true, samples: 1 };
  for (const codec of CODECS) {
    const back = asUint16((await decodeWith(codec, await encodeFrame(s12, l12, codec, { lossless: true }))).bytes);
    // JPEG-LS hands back the 12-bit two's complement pattern; DICOM readers sign-extend it.
    const values = codec === 'jpegls' ? Array.from(back, (v) => (v << 20) >> 20) : Array.from(new Int16Array(back.buffer, back.byteOffset, back.length));
    t.equal(maxAbsDiff(values, s12), 0, `${codec}: signed 12-bit identical`);
  }
});

t.test('bad input is refused before any codec runs', async (t) => {
  const err = (message: RegExp) => ({ code: 'DF_ERR_SYNTH_OPTION', message });
  await t.rejects(encodeFrame(new Uint16Array(512 * 512), CT, 'j2k', { lossless: true }), err(/signed 16-bit pixels must be an Int16Array \(got Uint16Array\)/));
  await t.rejects(encodeFrame(new Int16Array(100), CT, 'j2k', { lossless: true }), err(/512x512x1 needs 262144 samples \(got 100\)/));
  await t.rejects(encodeFrame(Uint16Array.of(0, 4096, 0, 0), { ...CXR, width: 2, height: 2 }, 'htj2k', { lossless: true }), err(/sample 1 is 4096, outside 0\.\.4095/));
  await t.rejects(encodeFrame(hu, CT, 'jpegls', { lossless: true, nearLossless: 2 }), err(/nearLossless 2 contradicts lossless: true/));
  await t.rejects(encodeFrame(hu, CT, 'j2k', { lossless: true, decompositions: 12 }), err(/decompositions must be an integer 0\.\.9 for a 512x512 image \(got 12\)/));
  await t.rejects(encodeFrame(hu, CT, 'j2k', { lossless: false, quantizationStep: 0.01 }), err(/quantizationStep applies to htj2k only/));
  t.throws(() => planEncoding({ width: 8, height: 8, bitsStored: 12, signed: false, samples: 3 }, 'j2k', { lossless: true }), err(/colour frames must be unsigned with bitsStored <= 8/));
  // Near-lossless on signed data must stay clear of the two's complement wrap.
  const edge = Int16Array.of(-32768, 0, 0, 0);
  await t.rejects(encodeFrame(edge, { ...CT, width: 2, height: 2 }, 'jpegls', { lossless: false, nearLossless: 2 }), err(/sample 0 is -32768, outside -32766\.\.32765/));
});
