// The storage setups the bench runs, each as
//   { name, label, kind, overrides, evict, prepare(), storageLimit | sourceOnlyLimit, peerSources(), stop() }
// where `overrides` are the config's source options for the pipeline run, and the
// storage limit is either known (fio, page cache, the shaped link rate) or
// measured by reading the setup's bytes without decoding them.
import { basename } from 'node:path';
import { listDicomweb, listFiles } from '../../../dist/sources/index.js';
import { haveVmtouch, warm } from './page-cache.mjs';

/** Every instance of a DICOMweb server, as WADO-RS instance URLs (the items' ids), for the peer. */
async function instanceUrls(base) {
  const { items, problems } = await listDicomweb(base, []);
  if (problems.length) throw new Error(`listing ${base}: ${problems.map((p) => p.message).join('; ')}`);
  return items.map((i) => i.id);
}

const rateLabel = (bits) => (bits >= 1e9 ? `${bits / 1e9} Gbit/s` : `${bits / 1e6} Mbit/s`);

export async function defineSetups({ values, files, meanFileMB, fio, cache, ns, server, log }) {
  const perFile = (mbPerSecond) => (mbPerSecond === null ? null : mbPerSecond / meanFileMB);
  const setups = [];
  if (haveVmtouch()) {
    setups.push({
      name: 'local-cold',
      label: 'SSD cold',
      kind: 'disk',
      overrides: { 'sources.paths': files },
      evict: true,
      storageLimit: { framesPerSecond: perFile(fio.mbPerSecond), mbPerSecond: fio.mbPerSecond, what: 'fio' },
      peerSources: () => files,
    });
  } else log('skipping local-cold: vmtouch is missing (Debian package vmtouch), so the page cache cannot be emptied');
  setups.push({
    name: 'local-warm',
    label: 'SSD warm',
    kind: 'page cache',
    overrides: { 'sources.paths': files },
    prepare: () => warm(files),
    storageLimit: { framesPerSecond: perFile(cache.mbPerSecond), mbPerSecond: cache.mbPerSecond, what: 'page cache' },
    peerSources: () => files,
  });
  if (ns) {
    const urls = files.map((f) => `${server.base}${basename(f)}`);
    for (const [bits, ms] of [
      [1e9, 20],
      [1e8, 50],
      [2e7, 50],
    ]) {
      const mb = bits / 8 / 1e6;
      setups.push({
        name: `http-${bits >= 1e9 ? `${bits / 1e9}g` : `${bits / 1e6}m`}-${ms}ms`,
        label: `HTTP ${rateLabel(bits)} + ${ms} ms`,
        kind: 'network',
        overrides: { 'sources.urls': urls },
        serverPid: () => server.pid,
        prepare: async () => {
          ns.shape(bits);
          await server.setLatency(ms);
          warm(files); // the server's disk is not what this setup measures
        },
        storageLimit: { framesPerSecond: perFile(mb), mbPerSecond: mb, what: 'shaped link' },
        peerSources: () => urls,
      });
    }
  }
  if (!values['no-orthanc']) {
    const { orthancMissing, startOrthanc } = await import('../orthanc.mjs');
    const why = orthancMissing();
    if (why) log(`skipping dicomweb-orthanc: ${why}`);
    else {
      let orthanc = null;
      let urls = null;
      setups.push({
        name: 'dicomweb-orthanc',
        label: 'DICOMweb (Orthanc)',
        kind: 'PACS',
        overrides: {},
        prepare: async function () {
          if (!orthanc) {
            const t = performance.now();
            orthanc = await startOrthanc({});
            await orthanc.upload(files);
            urls = await instanceUrls(orthanc.dicomWebUrl);
            if (urls.length !== files.length) throw new Error(`Orthanc holds ${urls.length} instance(s) after uploading ${files.length}`);
            log(`Orthanc: ${files.length} instances stored in ${((performance.now() - t) / 1000).toFixed(1)} s, DICOMweb at ${orthanc.dicomWebUrl}`);
            this.overrides = { 'sources.dicomweb.url': orthanc.dicomWebUrl };
          }
          warm(files);
        },
        sourceOnlyLimit: true,
        serverPid: () => orthanc?.pid,
        peerSources: () => urls.map((u) => `dicomweb:${u}`),
        stop: () => orthanc?.stop(),
      });
    }
  }
  for (const [i, p] of values.path.entries()) {
    const listing = await listFiles([p]);
    if (listing.problems.length) throw new Error(`--path ${p}: ${listing.problems.map((e) => e.message).join('; ')}`);
    const list = listing.items.map((item) => item.id);
    setups.push({ name: `path-${i + 1}`, label: `path ${p}`, kind: 'storage', overrides: { 'sources.paths': list }, sourceOnlyLimit: true, peerSources: () => list });
  }
  values.url.forEach((u, i) => {
    // A URL ending in '/' is a folder holding the corpus's files (copy bench/.corpus there).
    const urls = u.endsWith('/') ? files.map((f) => `${u}${basename(f)}`) : [u];
    setups.push({ name: `url-${i + 1}`, label: `URL ${u}`, kind: 'storage', overrides: { 'sources.urls': urls }, sourceOnlyLimit: true, peerSources: () => urls });
  });
  values.dicomweb.forEach((u, i) => {
    let urls = null;
    setups.push({
      name: `dicomweb-${i + 1}`,
      label: `DICOMweb ${u}`,
      kind: 'PACS',
      overrides: { 'sources.dicomweb.url': u },
      prepare: async () => {
        urls ??= await instanceUrls(u);
      },
      sourceOnlyLimit: true,
      peerSources: () => urls.map((x) => `dicomweb:${x}`),
    });
  });
  return setups;
}
