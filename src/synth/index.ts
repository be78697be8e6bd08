/**
 * Synthetic DICOM data for benchmarks and tests: seeded phantoms, encoding
 * with the project's WASM codecs, and a Part-10 writer.
 *
 * @example
 *   import { ctSlice, encodeFrame, planEncoding, writePart10, makeUid } from './synth/index.js';
 *   const hu = ctSlice({ seed: 1 });
 *   const layout = { width: 512, height: 512, bitsStored: 16, signed: true, samples: 1 } as const;
 *   const plan = planEncoding(layout, 'j2k', { lossless: true });
 *   const codestream = await encodeFrame(hu, layout, 'j2k', { lossless: true });
 *   const file = writePart10({ transferSyntax: plan.transferSyntax, rows: 512, columns: 512, samplesPerPixel: 1,
 *     bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, photometric: plan.photometric, modality: 'CT',
 *     rescaleIntercept: 0, rescaleSlope: 1,
 *     ids: { patientId: 'SYN1', studyInstanceUid: makeUid('st'), seriesInstanceUid: makeUid('se'), sopInstanceUid: makeUid('in') } }, [codestream]);
 */
export { createRandom, deriveSeed, fastNormal, type Random } from './random.js';
export { smoothField, smoothFieldRows, type FieldRows } from './field.js';
export {
  ctSlice,
  randomLungLesion,
  type LungLesionOptions,
  ctToUnsigned,
  radiograph,
  CT_HU_MIN,
  CT_HU_MAX,
  CT_UNSIGNED_INTERCEPT,
  type CtLesion,
  type CtSliceOptions,
  type RadiographLesion,
  type RadiographOptions,
} from './phantom.js';
export { encodeFrame, planEncoding, type Codec, type EncodeOptions, type EncodingPlan, type FrameLayout, type StoredPixels } from './encode.js';
export { part10Chunks, writePart10, writePart10File, SopClass, IMPLEMENTATION_VERSION_NAME, type Part10Ids, type Part10Spec } from './part10.js';
export { makeUid, isValidUid, IMPLEMENTATION_CLASS_UID } from './uid.js';
export { SynthOptionError, EncodeError } from '../errors.js';
