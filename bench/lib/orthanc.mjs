/**
 * A throwaway Orthanc (Debian packages `orthanc` and `orthanc-dicomweb`) for
 * tests and benchmarks of the DICOMweb source: its own temporary storage, a
 * free port, only reachable from this machine, killed when the process exits.
 *
 * @example
 *   const pacs = await startOrthanc();
 *   await pacs.upload(['test/fixtures/ct_u12_j2k_lossless.dcm']);
 *   // ... read from pacs.dicomWebUrl ...
 *   await pacs.stop();
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';
export const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

/** Why Orthanc cannot run here, or null when it can. */
export function orthancMissing() {
  const missing = [ORTHANC_BINARY, DICOMWEB_PLUGIN].filter((p) => !existsSync(p));
  return missing.length === 0 ? null : `${missing.join(' and ')} not found: install the Debian packages orthanc orthanc-dicomweb`;
}

/** A port nobody listens on now (Orthanc cannot be given port 0 and report what it got). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts Orthanc with the DICOMweb plugin.
 * `auth: { user, password }` turns on HTTP basic authentication for that one user.
 * Resolves once its REST API answers.
 */
export async function startOrthanc({ port, dir, auth } = {}) {
  const why = orthancMissing();
  if (why) throw new Error(why);
  const home = dir ?? (await mkdtemp(join(tmpdir(), 'dicomflow-orthanc-')));
  const httpPort = port ?? (await freePort());
  const config = {
    Name: 'dicomflow-test',
    StorageDirectory: join(home, 'storage'),
    IndexDirectory: join(home, 'index'),
    HttpPort: httpPort,
    // Orthanc 1.10 has no bind-address option: refusing remote hosts is what it offers.
    RemoteAccessAllowed: false,
    DicomServerEnabled: false,
    AuthenticationEnabled: auth !== undefined,
    RegisteredUsers: auth ? { [auth.user]: auth.password } : {},
    // Keep what was uploaded exactly as it was: no transcoding on the way in.
    StorageCompression: false,
    SaveJobs: false,
    Plugins: [DICOMWEB_PLUGIN],
    // "Full" makes /metadata read every instance from storage rather than answer with the
    // main DICOM tags only, so pixel attributes such as BitsStored and WindowCenter are there.
    DicomWeb: { Enable: true, Root: '/dicom-web/', StudiesMetadata: 'Full', SeriesMetadata: 'Full' },
  };
  const configFile = join(home, 'orthanc.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const logFile = join(home, 'orthanc.log');
  const log = openSync(logFile, 'a');
  const child = spawn(ORTHANC_BINARY, [configFile], { stdio: ['ignore', log, log], cwd: home });
  closeSync(log);
  let exited = false;
  child.once('exit', () => (exited = true));
  // An interrupted test or benchmark must not leave a server behind; 'exit' handlers run synchronously.
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
    if (dir === undefined) rmSync(home, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);

  const url = `http://127.0.0.1:${httpPort}`;
  const headers = auth ? { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` } : {};
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    if (dir === undefined) rmSync(home, { recursive: true, force: true });
    // Only now: a process that exits while stop() waits must still clean up.
    process.off('exit', killOnExit);
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) {
      const tail = await readFile(logFile, 'utf8').catch(() => '');
      await stop();
      throw new Error(`Orthanc exited during startup; its log ends:\n${tail.split('\n').slice(-15).join('\n')}`);
    }
    const ok = await fetch(`${url}/system`, { headers }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Orthanc did not answer on ${url} within 20 s (log: ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    dicomWebUrl: `${url}/dicom-web`,
    logFile,
    /** The server's process id (the storage bench reads its CPU time). */
    pid: child.pid,
    /** The Authorization header value for the registered user, if any. */
    authorization: headers.authorization ?? null,
    /** Stores Part-10 files as they are (POST /instances, raw bytes). */
    async upload(paths) {
      for (const p of paths) {
        const body = await readFile(p);
        const r = await fetch(`${url}/instances`, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/dicom' } });
        if (!r.ok) throw new Error(`Orthanc refused ${p}: HTTP ${r.status} ${await r.text()}`);
      }
    },
    stop,
  };
}
