/**
 * Loads an Emscripten codec module (the @cornerstonejs codec packages) with
 * its .wasm binary from the project's wasm/ folder, where `npm install`
 * stages them (wasm/stage.mjs). Codec log output (OpenJPEG prints `[INFO]`
 * lines) is kept away from stdout: it goes to `codecLog`, shown on stderr
 * only with DICOMFLOW_DEBUG=1.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CodecMissingError } from '../errors.js';

export interface CodecModuleSpec {
  /** Package export of the Emscripten JS glue, e.g. '@cornerstonejs/codec-openjpeg/wasmjs'. */
  glue: string;
  /** File name of the binary in the wasm folder. */
  wasmFile: string;
}

/** The folder holding the codec binaries: DICOMFLOW_WASM_DIR, or the package's wasm/. */
export function wasmDir(): string {
  return process.env.DICOMFLOW_WASM_DIR ?? fileURLToPath(new URL('../../wasm/', import.meta.url));
}

const recent: string[] = [];
let collector: string[] | null = null;
/** The last codec log lines (kept for error reports; never printed to stdout). */
export function codecLog(): readonly string[] {
  return recent;
}
function sink(line: string): void {
  recent.push(line);
  if (recent.length > 50) recent.shift();
  collector?.push(line);
  if (process.env.DICOMFLOW_DEBUG === '1') process.stderr.write(`[codec] ${line}\n`);
}

/**
 * Collects what the codecs print from now until the returned function is
 * called, which returns the lines. A decode runs synchronously inside the
 * WASM call, so the lines between start and stop are that decode's own:
 * OpenJPEG reports a cut-short or damaged codestream only there.
 *
 * @example const stop = collectCodecLog(); decoder.decode(); const lines = stop();
 */
export function collectCodecLog(): () => string[] {
  const mine: string[] = [];
  const outer = collector;
  collector = mine;
  return () => {
    collector = outer;
    return mine;
  };
}

/**
 * Throws one CodecMissingError naming every binary that is not in the wasm
 * folder. Run before a pipeline starts, so an incomplete install fails once,
 * up front, instead of as an error on every frame.
 */
export function assertCodecBinaries(specs: readonly CodecModuleSpec[]): void {
  const missing = specs.map((s) => join(wasmDir(), s.wasmFile)).filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new CodecMissingError(`codec binaries missing: ${missing.join(', ')}; run npm install (wasm/stage.mjs copies them from the @cornerstonejs codec packages)`, {
      stage: 'decode',
    });
  }
}

// The tsconfig's lib has no DOM, and Node's types do not declare the WebAssembly namespace: the little used here.
type WasmModule = object;
type WasmInstance = object;
type WasmImports = Record<string, unknown>;
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: WasmImports): Promise<WasmInstance>;
};

const require = createRequire(import.meta.url);
const loaded = new Map<string, Promise<unknown>>();
const compiled = new Map<string, Promise<WasmModule>>();

/**
 * Forgets a module instance so the next load makes a fresh one: after a WASM
 * trap (abort, out-of-bounds) an Emscripten instance cannot be trusted again.
 */
export function dropCodecModule(spec: CodecModuleSpec): void {
  loaded.delete(spec.wasmFile);
}

function binaryPath(spec: CodecModuleSpec): string {
  const wasmPath = join(wasmDir(), spec.wasmFile);
  if (!existsSync(wasmPath)) {
    throw new CodecMissingError(`codec binary ${wasmPath} is missing: run npm install (wasm/stage.mjs copies it from ${spec.glue.replace(/\/wasmjs$/, '')})`, {
      stage: 'decode',
    });
  }
  return wasmPath;
}

/** The binary compiled once per thread; every instance made from it starts from a clean heap. */
function compiledModule(spec: CodecModuleSpec): Promise<WasmModule> {
  let p = compiled.get(spec.wasmFile);
  if (!p) {
    p = (async () => WebAssembly.compile(await readFile(binaryPath(spec))))();
    p.catch(() => compiled.delete(spec.wasmFile));
    compiled.set(spec.wasmFile, p);
  }
  return p;
}

async function instantiate<T>(spec: CodecModuleSpec): Promise<T> {
  const wasmModule = await compiledModule(spec);
  const factory = ((await import(pathToFileURL(require.resolve(spec.glue)).href)) as { default: (o: object) => Promise<T> }).default;
  return factory({
    print: sink,
    printErr: sink,
    // Emscripten's hook for bringing our own instance: instantiating a compiled module is
    // fast, so a fresh instance (no state left by any earlier frame) is cheap to have.
    instantiateWasm(imports: WasmImports, done: (instance: WasmInstance, module: WasmModule) => void) {
      void WebAssembly.instantiate(wasmModule, imports).then((instance) => done(instance, wasmModule));
      return {};
    },
  });
}

/** loadCodecModule or freshCodecModule. */
export type ModuleLoader = <T>(spec: CodecModuleSpec) => Promise<T>;

/**
 * Instantiates a codec module once per thread; later calls share it.
 *
 * @example const m = await loadCodecModule<OpenJpegModule>({ glue: '@cornerstonejs/codec-openjpeg/wasmjs', wasmFile: 'openjpegwasm.wasm' });
 */
export function loadCodecModule<T>(spec: CodecModuleSpec): Promise<T> {
  let p = loaded.get(spec.wasmFile);
  if (!p) {
    p = instantiate<T>(spec);
    p.catch(() => loaded.delete(spec.wasmFile));
    loaded.set(spec.wasmFile, p);
  }
  return p as Promise<T>;
}

/**
 * A new module instance that shares nothing with the cached one: for checks
 * that a result does not depend on what the shared instance decoded before.
 */
export function freshCodecModule<T>(spec: CodecModuleSpec): Promise<T> {
  return instantiate<T>(spec);
}
