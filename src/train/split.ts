/**
 * Train/validation split by patient (or study): one patient's images are
 * never on both sides, or the model is validated on anatomy it has seen.
 * A manifest `split` column (train / val) wins; otherwise the headers are read
 * (only the headers) for PatientID or StudyInstanceUID, and whole groups are
 * assigned to validation by a seeded hash, so the split is the same on every
 * run and does not depend on file order.
 */
import { createHash } from 'node:crypto';
import type { PipelineConfig } from '../config/schema.js';
import { readDicom } from '../dicom/reader.js';
import type { DicomflowError } from '../errors.js';
import { ConfigError, toDicomflowError } from '../errors.js';
import { AUDIT_ATTRIBUTES, SITE_ALIASES, groupingTag } from '../audit/attributes.js';
import type { SourceItem } from '../sources/item.js';

export interface Split {
  train: SourceItem[];
  val: SourceItem[];
  /** Group ids on each side (patient or study ids). */
  trainGroups: string[];
  valGroups: string[];
  /** How the split was made, for the log. */
  method: string;
  /** Files whose header could not be read (they are left out, and reported). */
  problems: DicomflowError[];
}

/** PatientID, StudyInstanceUID or another attribute (a site) of each item, read from the header only. */
async function groupIds(items: readonly SourceItem[], by: string, parse: PipelineConfig['parse']): Promise<{ ids: (string | null)[]; problems: DicomflowError[] }> {
  const tag = by === 'patient' || by === 'study' ? null : groupingTag(by);
  if (by !== 'patient' && by !== 'study' && tag === null) {
    throw new ConfigError(`train.splitBy "${by}" is not patient, study, ${Object.keys(SITE_ALIASES).join(', ')}, an attribute keyword (${Object.keys(AUDIT_ATTRIBUTES).join(', ')}) or a tag like 0008,0080`, { stage: 'config', field: 'train.splitBy' });
  }
  const ids: (string | null)[] = new Array(items.length).fill(null);
  const problems: DicomflowError[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i]!;
      const r = readDicom(item.open({ chunkBytes: Math.min(parse.chunkBytes, 64 * 1024) }), {
        file: item.id,
        ...(item.size !== undefined ? { totalBytes: item.size } : {}),
        maxElementBytes: parse.maxElementBytes,
        maxFrameBytes: parse.maxFrameBytes,
        ...(tag !== null ? { attributes: [tag] } : {}),
      });
      try {
        const d = await r.header();
        if (tag !== null) {
          const v = (await r.attributes()).get(tag)?.trim().toUpperCase();
          ids[i] = v ? `site:${v}` : null;
        } else ids[i] = by === 'patient' ? d.ids.patientId : d.ids.studyInstanceUid;
      } catch (err) {
        problems.push(toDicomflowError(err, { file: item.id }));
      } finally {
        await r.close();
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { ids, problems };
}

function rank(seed: number, group: string): string {
  return createHash('sha256').update(`${seed}\0${group}`).digest('hex');
}

/** @example const { train, val } = await splitItems(items, { by: 'patient', fraction: 0.2, seed: 1, parse }); */
export async function splitItems(
  items: readonly SourceItem[],
  o: { by: string; fraction: number; seed: number; parse: PipelineConfig['parse'] },
): Promise<Split> {
  if (items.some((i) => i.split !== undefined)) {
    const isVal = (s: string | undefined) => s === 'val' || s === 'validation' || s === 'valid';
    const train = items.filter((i) => i.split === undefined || i.split === 'train');
    const val = items.filter((i) => isVal(i.split));
    return { train, val, trainGroups: [], valGroups: [], method: 'the manifest split column (rows marked test are left out)', problems: [] };
  }
  const { ids, problems } = await groupIds(items, o.by, o.parse);
  // A file without the id is its own group: it cannot share a patient with anything we can see.
  const keyOf = (i: number) => ids[i] ?? `file:${items[i]!.id}`;
  const groups = [...new Set(items.map((_, i) => keyOf(i)))].sort((a, b) => (rank(o.seed, a) < rank(o.seed, b) ? -1 : 1));
  let nVal = Math.round(groups.length * o.fraction);
  if (o.fraction > 0 && groups.length >= 2) nVal = Math.min(groups.length - 1, Math.max(1, nVal));
  const valGroups = new Set(groups.slice(0, nVal));
  const readable = items.map((item, i) => ({ item, i })).filter(({ i }) => !problems.some((p) => p.where.file === items[i]!.id));
  const val = readable.filter(({ i }) => valGroups.has(keyOf(i))).map(({ item }) => item);
  const train = readable.filter(({ i }) => !valGroups.has(keyOf(i))).map(({ item }) => item);
  const missing = ids.filter((x) => x === null).length - problems.length;
  return {
    train,
    val,
    trainGroups: groups.slice(nVal).sort(),
    valGroups: [...valGroups].sort(),
    method: `by ${o.by === 'patient' ? 'PatientID' : o.by === 'study' ? 'StudyInstanceUID' : `${SITE_ALIASES[o.by] ?? o.by} (held-out sites)`}: ${valGroups.size} of ${groups.length} groups held out${missing > 0 ? ` (${missing} file(s) without the ${o.by === 'patient' || o.by === 'study' ? 'id' : 'attribute'} are their own group)` : ''}`,
    problems,
  };
}
