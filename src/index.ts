/**
 * dicomflow's public API: everything the command line does, as functions a
 * job can call instead. Each CLI command is a thin layer over one of them:
 *
 * | command            | function |
 * | ------------------ | -------- |
 * | `inspect`          | `listFiles` + `scanItem` |
 * | `decode`           | `openDecodedFile` |
 * | `ingest`           | `ingest` (or `createPipeline` for the batches themselves) |
 * | `ingest --out`     | `writeDataset` (read back with `datasetSamples` / `datasetPipeline`) |
 * | `train` / `start`  | `train` (`start` with `sources.sample`) |
 * | `predict`          | `predict` |
 * | `explain`          | `explain` (maps for your own tensors: `anatomy` + `saliency`) |
 * | `audit`            | `audit` (statistics alone: `attributeCheck`; OCR: `createOcr`) |
 * | `sample`           | `ensureSampleTask`, `ensureLeakyTask` |
 *
 * @example
 *   import { loadConfig, createPipeline } from 'dicomflow';
 *   const { config } = loadConfig(null, { 'sources.paths': ['scans/'], 'preprocess.target': '256x256' });
 *   const pipeline = createPipeline(config, { onError: (r) => console.error(r.code, r.file) });
 *   for await (const batch of pipeline) console.log(batch.shape);
 *   await pipeline.close();
 *
 * @example
 *   import { readDicom, listFiles } from 'dicomflow';
 *   const { items } = await listFiles(['scans/']);
 *   const file = readDicom(items[0].open(), { file: items[0].id, totalBytes: items[0].size });
 *   console.log(await file.header());
 *   for await (const frame of file.frames()) console.log(frame.index, frame.bytes.length);
 */

// Configuration
export { loadConfig, validate, type LoadedConfig } from './config/load.js';
export { defaults as defaultConfig, type PipelineConfig } from './config/schema.js';
export { preprocessSpec } from './config/preprocess.js';

// Sources
export { listFiles, readManifest, resolveSources, listDicomweb, httpItem, type SourceItem, type Listing, type HttpOptions } from './sources/index.js';

// Reading DICOM
export { readDicom, DEFAULT_MAX_ELEMENT_BYTES, DEFAULT_MAX_FRAME_BYTES, type DicomReader, type ReadOptions } from './dicom/reader.js';
export { scanItem, type ScanResult } from './dicom/scan.js';
export type { PixelDescription, PixelIds, PixelDataKind, Rescale } from './dicom/description.js';
export type { EncodedFrame } from './dicom/frames.js';
export { TransferSyntax, syntaxInfo, knownSyntaxes, type SyntaxInfo } from './dicom/transfer-syntax.js';

// Decoding
export { codecFor, freshCodecFor, setCodec, decodableSyntaxes, assertCodecsInstalled, type Codec, type DecodeOptions } from './codecs/index.js';
export type { PartialPolicy } from './codecs/errors.js';
export { DecodePool, DEFAULT_DECODE_TIMEOUT_MS, type PoolOptions, type Decoded } from './decode/pool.js';
export { decodeFrame } from './decode/decode-frame.js';
export type { DecodeTask, DecodeOutcome } from './decode/task.js';
export { openDecodedFile, type DecodedFile, type DecodedFileFrame, type DecodeFileOptions } from './decode/decode-file.js';

// Preprocessing
export { preprocess } from './preprocess/pipeline.js';
export type { DecodedFrame, DecodeWarning, PreprocessSpec, Sample, StoredArray, VoiSpec } from './preprocess/types.js';

// The pipeline
export { createPipeline, type Pipeline, type PipelineOptions, type Batch, type ErrorRecord, type LabeledSample, type SampleId, type SampleStats } from './pipeline/index.js';
export { ingest, type IngestOptions, type IngestSummary } from './pipeline/ingest.js';

// Datasets (ingest --out, train --dataset)
export { writeDataset, type DatasetOptions, type DatasetSummary, type DatasetFormat, type ShardStats } from './dataset/writer.js';
export { datasetSamples, readIndex, type DatasetIndex, type DatasetSample } from './dataset/reader.js';
export { datasetPipeline, isValidationGroup } from './dataset/pipeline.js';

// Training
export { train, type TrainOptions, type TrainResult } from './train/trainer.js';
export { predict, type Prediction, type PredictOptions, type PredictSummary } from './train/predict.js';
export { explain, readTruth, type ExplainLine, type ExplainOptions, type ExplainSummary, type CheckOptions, type MethodFigures } from './explain/explain.js';
export { anatomy, type ModelAnatomy } from './explain/anatomy.js';
export { audit, auditMarkdown, type AuditCheck, type AuditOptions, type AuditReport, type SitePrevalence, type TextLine } from './audit/audit.js';
export { attributeCheck, quantileBins, type AttributeCheck, type Thresholds } from './audit/stats.js';
export { createOcr, type Ocr, type OcrResult } from './audit/ocr.js';
export { parseMask, type MaskConfig } from './preprocess/mask.js';
export { ensureLeakyTask, type LeakyTask, type LeakyVariant } from './synth/leaky-task.js';
export { saliency, METHODS, DEFAULT_METHODS, DEFAULT_METHOD_OPTIONS, type Method, type MethodOptions } from './explain/methods.js';
export { loadCheckpoint, type LoadedCheckpoint } from './train/checkpoint.js';
export { selectBackend, type BackendChoice, type SelectedBackend } from './train/backend.js';
export { ensureSampleTask, type SampleTask } from './synth/sample-task.js';

// Errors: every class with its stable DF_ERR_* code
export * from './errors.js';
