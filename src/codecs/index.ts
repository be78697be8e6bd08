/**
 * The codec for each transfer syntax, keyed by the named constants.
 * README's "Transfer syntaxes" table lists the same.
 */
import { TransferSyntax as TS } from '../dicom/transfer-syntax.js';
import { CHARLS, CHARLS_OWN, charls, charlsBuild } from './charls.js';
import { jpeg12 } from './jpeg12.js';
import { jpegLossless } from './jpeg-lossless.js';
import { LIBJPEG_TURBO, LIBJPEG_TURBO_OWN, libjpegTurbo, libjpegTurboBuild } from './libjpeg-turbo.js';
import { native } from './native.js';
import { OPENJPEG, OPENJPEG_OWN, openjpeg, openjpegBuild } from './openjpeg.js';
import { OPENJPH, openjph } from './openjph.js';
import { rle } from './rle.js';
import type { Codec } from './types.js';
import { assertCodecBinaries, type CodecModuleSpec } from './wasm.js';

export type { Codec, DecodeOptions } from './types.js';

const registry = new Map<string, Codec>([
  [TS.ImplicitVRLittleEndian, native],
  [TS.ExplicitVRLittleEndian, native],
  [TS.ExplicitVRBigEndian, native],
  [TS.DeflatedExplicitVRLittleEndian, native],
  [TS.EncapsulatedUncompressedExplicitVRLittleEndian, native],
  [TS.RLELossless, rle],
  [TS.JPEGBaseline8Bit, libjpegTurbo],
  [TS.JPEGExtended12Bit, jpeg12],
  [TS.JPEGLossless, jpegLossless],
  [TS.JPEGLosslessSV1, jpegLossless],
  [TS.JPEGLSLossless, charls],
  [TS.JPEGLSNearLossless, charls],
  [TS.JPEG2000Lossless, openjpeg],
  [TS.JPEG2000, openjpeg],
  [TS.HTJ2KLossless, openjph],
  [TS.HTJ2KLosslessRPCL, openjph],
  [TS.HTJ2K, openjph],
]);

/** The codec for a transfer syntax, or undefined when dicomflow cannot decode it. */
export function codecFor(transferSyntax: string): Codec | undefined {
  return registry.get(transferSyntax);
}

/**
 * The codec for a transfer syntax on WebAssembly instances of its own: what
 * a decode gives with no earlier frame behind it, to check that the shared
 * decoders' results do not depend on what they decoded before.
 */
export function freshCodecFor(transferSyntax: string): Codec | undefined {
  const c = registry.get(transferSyntax);
  return c?.fresh ? c.fresh() : c;
}

/**
 * Puts `codec` in place of the one registered for a transfer syntax, in this
 * thread, and returns the one it replaced: for stand-ins in tests (a codec
 * that never returns, to check the decode time limit) and for codecs of
 * one's own.
 */
export function setCodec(transferSyntax: string, codec: Codec): Codec | undefined {
  const before = registry.get(transferSyntax);
  registry.set(transferSyntax, codec);
  return before;
}

/** Transfer syntaxes with a codec. */
export function decodableSyntaxes(): string[] {
  return [...registry.keys()];
}

/**
 * Throws CodecMissingError naming any WebAssembly codec binary missing from
 * wasm/, and ConfigError for a DICOMFLOW_OPENJPEG, DICOMFLOW_CHARLS or
 * DICOMFLOW_LIBJPEG_TURBO value that names no build: once, before any frame
 * is read.
 */
export function assertCodecsInstalled(): void {
  openjpegBuild();
  charlsBuild();
  libjpegTurboBuild();
  assertCodecBinaries([OPENJPEG, OPENJPH, CHARLS, LIBJPEG_TURBO]);
}

/** dicomflow's own codec builds (wasm/own/) and the variable that chooses between each and the cornerstone build. */
export const OWN_BUILDS: readonly { variable: string; spec: CodecModuleSpec }[] = [
  { variable: 'DICOMFLOW_OPENJPEG', spec: OPENJPEG_OWN },
  { variable: 'DICOMFLOW_CHARLS', spec: CHARLS_OWN },
  { variable: 'DICOMFLOW_LIBJPEG_TURBO', spec: LIBJPEG_TURBO_OWN },
];
