/**
 * Finds burned-in text (hospital names, dates, ids painted into the pixel
 * data) with OCR, for the de-identification and shortcut audits.
 *
 * Why tesseract.js: it is Tesseract, the maintained open-source OCR engine,
 * compiled to WebAssembly, so it runs in Node worker threads with no native
 * build or system package, and with the traineddata of the
 * @tesseract.js-data/eng package it runs offline. Left to its defaults it
 * would download the traineddata from a CDN and cache a copy in the working
 * directory; here the language path is always the package on disk and the
 * cache is off, so nothing is fetched and nothing is written.
 *
 * Tesseract prints diagnostics ("Estimating resolution as 532") on the
 * console of its worker thread, and Node pipes a worker's console into this
 * process's stdout and stderr: stdout is the CLI's result channel. So each
 * worker starts from a small bootstrap that routes its console into a
 * BroadcastChannel before loading tesseract.js's own worker script; the
 * messages reach `onWarning`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BroadcastChannel, type Worker as NodeWorker } from 'node:worker_threads';
import { PNG } from 'pngjs';
import Tesseract from 'tesseract.js';
import { ConfigError } from '../errors.js';

/** Word boxes and text found in one image. */
export interface OcrResult {
  /** [row0, col0, row1, col1] in the input image's pixels, row1/col1 one past the end. */
  boxes: [number, number, number, number][];
  /** The words, surrounding punctuation stripped; same order as `boxes`. */
  tokens: string[];
  /** Tesseract's word confidence, 0..100. */
  confidences: number[];
}

export interface Ocr {
  /**
   * Words in `image`: one grey channel, row-major, values in [0, 1] (the
   * output of a window or min-max VOI). Calls queue for the next free worker.
   */
  recognize(image: Float32Array, width: number, height: number): Promise<OcrResult>;
  /** Terminates the worker threads; resolves once they have exited. */
  close(): Promise<void>;
}

export interface OcrOptions {
  /** Worker threads, each with its own Tesseract instance (about 150 MB resident each). Default 1. */
  workers?: number;
  /** Words below this confidence (0..100) are dropped. Default 60. */
  minConfidence?: number;
  /** Integer upscaling factor; default: the smallest that makes the shorter side at least 600 pixels. */
  upscale?: number;
  /** Receives what Tesseract prints (warnings, diagnostics). Default: discarded. */
  onWarning?: (message: string) => void;
  /** Folder holding eng.traineddata.gz. Default: the one of the @tesseract.js-data/eng package. */
  langPath?: string;
}

const DATA_PACKAGE = '@tesseract.js-data/eng';
const MIN_SHORT_SIDE = 600;
/**
 * Gaussian smoothing before the (bilinear) upscaling, in input pixels.
 * Burned-in text is usually a bitmap font, and Tesseract's LSTM reads its
 * stair-stepped strokes badly. Measured on 120 phantom slices with 5x7 text
 * (294 words): 89 words read exactly upscaled nearest-neighbour, 121
 * bilinear, 241 / 281 / 247 bilinear after smoothing with sigma 0.7 / 1 / 1.3;
 * no false positives on 120 slices without text in any of them.
 */
const SMOOTH_SIGMA = 1;
/**
 * Sparse text: overlay text sits in corners and along edges, not in a page
 * layout, and the anatomy between must not be taken for text blocks.
 * A fixed DPI keeps Tesseract from guessing (and printing its guess).
 */
const PARAMETERS: Partial<Tesseract.WorkerParams> = {
  tessedit_pageseg_mode: Tesseract.PSM.SPARSE_TEXT,
  user_defined_dpi: '300',
};

/**
 * The folder with eng.traineddata.gz. The LSTM-only integer model
 * (4.0.0_best_int, the one tesseract.js itself fetches for the LSTM engine)
 * is a quarter the size of the default folder and reads as well; the
 * package's own langPath is the fallback.
 */
function languagePath(dir: string | undefined): string {
  if (dir !== undefined) {
    if (!existsSync(join(dir, 'eng.traineddata.gz'))) throw new Error(`OCR needs eng.traineddata.gz (from the ${DATA_PACKAGE} package) in ocr.langPath, and ${dir} has none`);
    return dir;
  }
  const require = createRequire(import.meta.url);
  let root: string;
  let langPath: string | undefined;
  try {
    root = dirname(require.resolve(`${DATA_PACKAGE}/package.json`));
    langPath = (require(DATA_PACKAGE) as { langPath?: string }).langPath;
  } catch (err) {
    throw new Error(`OCR needs the English traineddata of the ${DATA_PACKAGE} package, which is not installed (npm install ${DATA_PACKAGE})`, { cause: err });
  }
  const candidates = [join(root, '4.0.0_best_int'), ...(langPath ? [langPath] : [])];
  const found = candidates.find((dir) => existsSync(join(dir, 'eng.traineddata.gz')));
  if (!found) throw new Error(`OCR needs eng.traineddata.gz from the ${DATA_PACKAGE} package, and ${candidates.join(' and ')} have none (reinstall ${DATA_PACKAGE})`);
  return found;
}

/**
 * ESM source of a worker that forwards its console to `logChannel`, then
 * runs tesseract.js's worker script.
 *
 * It also mends tesseract.js's start-up failure path. When Tesseract cannot
 * initialise (unreadable traineddata), tesseract.js's worker rejects the job
 * and then resolves it too; the main-thread handler throws on the second
 * settlement, outside any promise, and the process crashes. So a job's
 * second settlement is dropped. And since createWorker never settles after
 * such a failure (only errorHandler hears of it), leaving no handle to
 * terminate the thread with, the worker exits by itself.
 */
function bootstrapSource(script: string, logChannel: string): string {
  return `
import { createRequire } from 'node:module';
import { format } from 'node:util';
import { BroadcastChannel, parentPort } from 'node:worker_threads';
const log = new BroadcastChannel(${JSON.stringify(logChannel)});
log.unref();
const forward = (...args) => log.postMessage(format(...args));
for (const k of ['log', 'info', 'debug', 'warn', 'error', 'trace', 'dir']) console[k] = forward;
const write = (chunk, encoding, cb) => {
  log.postMessage(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
  const done = typeof encoding === 'function' ? encoding : cb;
  if (typeof done === 'function') done();
  return true;
};
process.stdout.write = write;
process.stderr.write = write;
const settled = [];
const startActions = ['load', 'loadLanguage', 'initialize'];
const post = parentPort.postMessage.bind(parentPort);
parentPort.postMessage = (message, transfer) => {
  if (message && (message.status === 'resolve' || message.status === 'reject')) {
    const key = message.action + '-' + message.jobId;
    if (settled.includes(key)) return;
    settled.push(key);
    if (settled.length > 64) settled.shift();
  }
  post(message, transfer);
  // A worker that could not start is unreachable: tesseract.js's createWorker never settles.
  if (message && message.status === 'reject' && startActions.includes(message.action)) setImmediate(() => process.exit(1));
};
createRequire(${JSON.stringify(script)})(${JSON.stringify(script)});
`;
}

function checkOptions(o: OcrOptions): void {
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new ConfigError(`ocr.workers must be an integer 1..64 (got ${workers})`, { stage: 'config', field: 'ocr.workers' });
  const conf = o.minConfidence ?? 60;
  if (!(conf >= 0 && conf <= 100)) throw new ConfigError(`ocr.minConfidence must be 0..100 (got ${conf})`, { stage: 'config', field: 'ocr.minConfidence' });
  if (o.upscale !== undefined && (!Number.isInteger(o.upscale) || o.upscale < 1 || o.upscale > 16)) {
    throw new ConfigError(`ocr.upscale must be an integer 1..16 (got ${o.upscale})`, { stage: 'config', field: 'ocr.upscale' });
  }
}

/**
 * Starts `workers` Tesseract worker threads (English, LSTM engine). Throws
 * if the traineddata package is missing; never touches the network.
 *
 * @example
 *   const ocr = await createOcr({ workers: 2 });
 *   const { tokens, boxes } = await ocr.recognize(windowed, 256, 256); // ['MERCY', 'GENERAL'], [[4, 4, 18, 62], [4, 76, 18, 158]]
 *   await ocr.close();
 */
export async function createOcr(o: OcrOptions = {}): Promise<Ocr> {
  checkOptions(o);
  const langPath = languagePath(o.langPath);
  const minConfidence = o.minConfidence ?? 60;
  const require = createRequire(import.meta.url);
  const script = join(dirname(require.resolve('tesseract.js/package.json')), 'src', 'worker-script', 'node', 'index.js');
  const id = randomUUID();
  const logName = `dicomflow-ocr-log-${id}`;
  // Node's Worker takes a data: URL only as a URL object; tesseract.js hands workerPath to it untouched.
  const workerPath = new URL(`data:text/javascript,${encodeURIComponent(bootstrapSource(script, logName))}`);

  const log = new BroadcastChannel(logName);
  const { onWarning } = o;
  log.onmessage = (e) => onWarning?.(String(e.data).trimEnd());
  log.unref();

  const threads: NodeWorker[] = [];
  const scheduler = Tesseract.createScheduler();
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      const exits = threads.map((t) => new Promise<void>((resolve) => (t.threadId === -1 ? resolve() : t.once('exit', () => resolve()))));
      await scheduler.terminate();
      await Promise.all(exits);
      log.close();
    })();
    return closed;
  };

  const startWorker = async () => {
    // tesseract.js rejects createWorker only if the core fails to load; a failure to
    // read or initialise the language data reaches errorHandler alone.
    let fail: (e: unknown) => void = () => {};
    const failed = new Promise<never>((_, reject) => (fail = reject));
    const worker = await Promise.race([
      Tesseract.createWorker('eng', Tesseract.OEM.LSTM_ONLY, {
        langPath,
        gzip: true,
        cacheMethod: 'none',
        workerPath: workerPath as unknown as string,
        logger: () => {},
        errorHandler: (e: unknown) => fail(new Error(`OCR worker failed to start with the traineddata in ${langPath}: ${String(e)}`)),
      }),
      failed,
    ]);
    threads.push((worker as unknown as { worker: NodeWorker }).worker);
    await worker.setParameters(PARAMETERS);
    scheduler.addWorker(worker);
  };

  // Wait for every worker, failed or not, so that none is left running after a failure.
  const started = await Promise.allSettled(Array.from({ length: o.workers ?? 1 }, startWorker));
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await close();
    throw failure.reason;
  }

  return {
    async recognize(image, width, height) {
      if (closed) throw new Error('ocr.recognize called after close()');
      if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || image.length !== width * height) {
        throw new RangeError(`ocr.recognize needs width x height values (got ${width} x ${height} for ${image.length})`);
      }
      const factor = o.upscale ?? Math.max(1, Math.ceil(MIN_SHORT_SIDE / Math.min(width, height)));
      const png = toPng(smooth(image, width, height, SMOOTH_SIGMA), width, height, factor);
      let page: Tesseract.Page;
      try {
        ({ data: page } = await scheduler.addJob('recognize', png, {}, { blocks: true, text: false }));
      } catch (err) {
        // Jobs reject with a bare string.
        throw new Error(`OCR failed: ${String(err)}`, { cause: err });
      }
      return collectWords(page, factor, width, height, minConfidence);
    },
    close,
  };
}

/** `image` clamped to [0, 1] (NaN to 0) and blurred with a separable gaussian. */
function smooth(image: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const r = Math.ceil(sigma * 3);
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  const clamped = new Float32Array(image.length);
  for (let i = 0; i < image.length; i++) {
    const v = image[i]!;
    clamped[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  const across = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let a = 0;
      for (let i = -r; i <= r; i++) a += clamped[y * width + Math.min(width - 1, Math.max(0, x + i))]! * k[i + r]!;
      across[y * width + x] = a;
    }
  }
  const out = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let a = 0;
      for (let i = -r; i <= r; i++) a += across[Math.min(height - 1, Math.max(0, y + i)) * width + x]! * k[i + r]!;
      out[y * width + x] = a;
    }
  }
  return out;
}

/** An 8-bit grey PNG of `image` (values in [0, 1]), `factor` times larger by bilinear interpolation. */
function toPng(image: Float32Array, width: number, height: number, factor: number): Buffer {
  const W = width * factor;
  const H = height * factor;
  const grey = Buffer.alloc(W * H);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(height - 1, Math.max(0, (y + 0.5) / factor - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < W; x++) {
      const sx = Math.min(width - 1, Math.max(0, (x + 0.5) / factor - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(width - 1, x0 + 1);
      const fx = sx - x0;
      const top = image[y0 * width + x0]! * (1 - fx) + image[y0 * width + x1]! * fx;
      const bottom = image[y1 * width + x0]! * (1 - fx) + image[y1 * width + x1]! * fx;
      grey[y * W + x] = Math.round((top * (1 - fy) + bottom * fy) * 255);
    }
  }
  const png = new PNG({ width: W, height: H, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
  png.data = grey;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
}

const ALNUM = /[A-Za-z0-9]/g;

/** The page's words with at least two letters or digits and enough confidence, boxes mapped back to input pixels. */
function collectWords(page: Tesseract.Page, factor: number, width: number, height: number, minConfidence: number): OcrResult {
  const out: OcrResult = { boxes: [], tokens: [], confidences: [] };
  for (const block of page.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        for (const word of line.words) {
          const token = word.text.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
          if ((token.match(ALNUM)?.length ?? 0) < 2 || !(word.confidence >= minConfidence)) continue;
          const b = word.bbox;
          out.boxes.push([
            Math.max(0, Math.floor(b.y0 / factor)),
            Math.max(0, Math.floor(b.x0 / factor)),
            Math.min(height, Math.ceil(b.y1 / factor)),
            Math.min(width, Math.ceil(b.x1 / factor)),
          ]);
          out.tokens.push(token);
          out.confidences.push(word.confidence);
        }
      }
    }
  }
  return out;
}
