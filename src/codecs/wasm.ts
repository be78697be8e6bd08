/**
 * Loads an Emscripten codec module (the @cornerstonejs codec packages) with
 * its .wasm binary, found at run time: no install script has to have run (npm
 * 11 runs a dependency's install scripts only when the user approves them).
 * Codec log output (OpenJPEG prints `[INFO]` lines) is kept away from stdout:
 * it goes to `codecLog`, shown on stderr only with DICOMFLOW_DEBUG=1.
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
  /** Package export of the .wasm binary, e.g. '@cornerstonejs/codec-openjpeg/wasm'. */
  binary: string;
  /** File name of the binary in an override folder (DICOMFLOW_WASM_DIR, or a staged wasm/). */
  wasmFile: string;
  /**
   * glue and binary are absolute paths of a build that ships with dicomflow
   * (wasm/own/), used as they are: decode.wasmDir and staging are for the
   * codec packages' binaries.
   */
  fixedPath?: boolean;
}

/** The package that holds a codec, for messages: '@cornerstonejs/codec-openjpeg'. */
function packageOf(spec: CodecModuleSpec): string {
  return spec.fixedPath ? 'dicomflow' : spec.glue.replace(/\/wasmjs$/, '');
}

let configuredDir: string | null = null;

/**
 * Sets the folder the codec binaries are loaded from in this thread
 * (decode.wasmDir; the pool passes it to its workers as DICOMFLOW_WASM_DIR).
 * null goes back to the default order below.
 */
export function useWasmDir(dir: string | null): void {
  configuredDir = dir;
}

/** The folder decode.wasmDir or DICOMFLOW_WASM_DIR names in this thread, or null. */
export function configuredWasmDir(): string | null {
  const env = process.env.DICOMFLOW_WASM_DIR;
  return configuredDir ?? (env !== undefined && env !== '' ? env : null);
}

/**
 * Where a codec's binary is, in this order:
 * 1. `<decode.wasmDir>/<file>`, or `$DICOMFLOW_WASM_DIR/<file>` when that variable is
 *    set (an explicit choice: a missing file there is an error, never a silent fallback);
 * 2. the package's own `wasm/<file>`, when `npm run stage-wasm` copied it there;
 * 3. the codec package's `.wasm` export, resolved like any dependency.
 * A build of dicomflow's own (fixedPath) comes from the configured folder when it
 * holds one, else from wasm/own/ where it ships.
 */
export function wasmBinaryPath(spec: CodecModuleSpec): string {
  const dir = configuredWasmDir();
  if (spec.fixedPath) {
    if (dir !== null && existsSync(join(dir, spec.wasmFile))) return join(dir, spec.wasmFile);
    if (!existsSync(spec.binary)) throw new CodecMissingError(`codec binary ${spec.binary} is missing (it ships with dicomflow: reinstall, or rebuild it with wasm/own/build.sh)`, { stage: 'decode' });
    return spec.binary;
  }
  if (dir !== null) {
    const p = join(dir, spec.wasmFile);
    if (!existsSync(p)) {
      const by = configuredDir !== null ? 'decode.wasmDir' : 'DICOMFLOW_WASM_DIR';
      throw new CodecMissingError(`codec binary ${p} is missing (${by} is set to ${dir}; unset it to use the one in ${packageOf(spec)})`, { stage: 'decode' });
    }
    return p;
  }
  const staged = fileURLToPath(new URL(`../../wasm/${spec.wasmFile}`, import.meta.url));
  if (existsSync(staged)) return staged;
  try {
    return require.resolve(spec.binary);
  } catch (err) {
    throw new CodecMissingError(`codec binary ${spec.binary} cannot be found: install ${packageOf(spec)} (npm install ${packageOf(spec)})`, { stage: 'decode' }, { cause: err });
  }
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
 * Throws one CodecMissingError naming every binary that cannot be found. Run
 * before a pipeline starts, so an incomplete install fails once, up front,
 * instead of as an error on every frame.
 */
export function assertCodecBinaries(specs: readonly CodecModuleSpec[]): void {
  const missing: string[] = [];
  for (const s of specs) {
    try {
      wasmBinaryPath(s);
    } catch (err) {
      missing.push((err as Error).message);
    }
  }
  if (missing.length > 0) throw new CodecMissingError(`codec binaries missing: ${missing.join('; ')}`, { stage: 'decode' });
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

/** The binary compiled once per thread; every instance made from it starts from a clean heap. */
function compiledModule(spec: CodecModuleSpec): Promise<WasmModule> {
  let p = compiled.get(spec.wasmFile);
  if (!p) {
    p = (async () => {
      const path = wasmBinaryPath(spec);
      try {
        return await WebAssembly.compile(await readFile(path));
      } catch (err) {
        throw new CodecMissingError(`codec binary ${path} is not a usable WebAssembly module (${(err as Error).message}); reinstall ${packageOf(spec)}`, { stage: 'decode' }, { cause: err });
      }
    })();
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
