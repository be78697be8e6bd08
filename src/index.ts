/**
 * dicomflow's public API.
 *
 * @example
 *   import { readDicom, listFiles } from 'dicomflow';
 *   const { items } = await listFiles(['scans/']);
 *   const file = readDicom(items[0].open(), { file: items[0].id, totalBytes: items[0].size });
 *   console.log(await file.header());
 *   for await (const frame of file.frames()) console.log(frame.index, frame.bytes.length);
 */
export { readDicom, DEFAULT_MAX_ELEMENT_BYTES, DEFAULT_MAX_FRAME_BYTES, type DicomReader, type ReadOptions } from './dicom/reader.js';
export type { PixelDescription, PixelIds, Rescale } from './dicom/description.js';
export type { EncodedFrame } from './dicom/frames.js';
export { TransferSyntax, syntaxInfo, knownSyntaxes, type SyntaxInfo } from './dicom/transfer-syntax.js';
export { loadConfig, validate } from './config/load.js';
export { defaults as defaultConfig, type PipelineConfig } from './config/schema.js';
export { listFiles, readManifest, resolveSources, type SourceItem, type Listing } from './sources/index.js';
export * from './errors.js';
