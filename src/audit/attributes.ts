/**
 * The header attributes the shortcut audit reads: where an image was made,
 * on what, and how. They are read for the audit (and to group a split by
 * site) only; they never enter a tensor.
 */
import type { PipelineConfig } from '../config/schema.js';
import type { PixelDescription } from '../dicom/description.js';
import { readDicom } from '../dicom/reader.js';
import type { SourceItem } from '../sources/item.js';

export type AttributeKind = 'category' | 'number' | 'month' | 'tokens';

/** Keyword -> tag and how its values are compared. */
export const AUDIT_ATTRIBUTES: Readonly<Record<string, { tag: number; kind: AttributeKind }>> = Object.freeze({
  InstitutionName: { tag: 0x00080080, kind: 'category' },
  InstitutionalDepartmentName: { tag: 0x00081040, kind: 'category' },
  StationName: { tag: 0x00081010, kind: 'category' },
  Manufacturer: { tag: 0x00080070, kind: 'category' },
  ManufacturerModelName: { tag: 0x00081090, kind: 'category' },
  DeviceSerialNumber: { tag: 0x00181000, kind: 'category' },
  SoftwareVersions: { tag: 0x00181020, kind: 'category' },
  Modality: { tag: 0x00080060, kind: 'category' },
  BodyPartExamined: { tag: 0x00180015, kind: 'category' },
  ViewPosition: { tag: 0x00185101, kind: 'category' },
  ImageLaterality: { tag: 0x00200062, kind: 'category' },
  Laterality: { tag: 0x00200060, kind: 'category' },
  PatientPosition: { tag: 0x00185100, kind: 'category' },
  KVP: { tag: 0x00180060, kind: 'number' },
  Exposure: { tag: 0x00181152, kind: 'number' },
  PixelSpacing: { tag: 0x00280030, kind: 'number' },
  StudyDate: { tag: 0x00080020, kind: 'month' },
  BurnedInAnnotation: { tag: 0x00280301, kind: 'category' },
  SeriesDescription: { tag: 0x0008103e, kind: 'tokens' },
});

/** Short names `train.splitBy` accepts for a site. */
export const SITE_ALIASES: Readonly<Record<string, string>> = Object.freeze({ institution: 'InstitutionName', station: 'StationName', manufacturer: 'Manufacturer' });

/**
 * A grouping attribute by keyword, alias or tag ("0008,0080" or "00080080"):
 * its tag, or null when it is none of those.
 */
export function groupingTag(name: string): number | null {
  const keyword = SITE_ALIASES[name] ?? name;
  const known = AUDIT_ATTRIBUTES[keyword];
  if (known) return known.tag;
  const m = /^\(?([0-9a-f]{4}),?([0-9a-f]{4})\)?$/i.exec(name.trim());
  return m ? parseInt(m[1]! + m[2]!, 16) : null;
}

export interface HeaderAttributes {
  description: PixelDescription;
  /** Keyword -> value as written (first value of a multi-valued one), null when absent or empty. */
  values: Record<string, string | null>;
}

/** Reads one item's header (only the header) for the audit. */
export async function readAuditHeader(item: SourceItem, parse: PipelineConfig['parse']): Promise<HeaderAttributes> {
  const tags = Object.values(AUDIT_ATTRIBUTES).map((a) => a.tag);
  const r = readDicom(item.open({ chunkBytes: Math.min(parse.chunkBytes, 64 * 1024) }), {
    file: item.id,
    ...(item.size !== undefined ? { totalBytes: item.size } : {}),
    maxElementBytes: parse.maxElementBytes,
    maxFrameBytes: parse.maxFrameBytes,
    attributes: tags,
  });
  try {
    const description = await r.header();
    const raw = await r.attributes();
    const values: Record<string, string | null> = {};
    for (const [k, a] of Object.entries(AUDIT_ATTRIBUTES)) {
      const v = raw.get(a.tag)?.split('\\')[0]?.trim();
      values[k] = v ? v : null;
    }
    return { description, values };
  } finally {
    await r.close();
  }
}

/** The attribute values as the audit compares them: categories, numbers, year-months, or token lists. */
export function auditValue(kind: AttributeKind, v: string | null): string | number | string[] | null {
  if (v === null) return null;
  switch (kind) {
    case 'category':
      return v.toUpperCase();
    case 'number': {
      const n = Number(v);
      return Number.isFinite(n) ? n : null;
    }
    case 'month':
      return /^\d{6}/.test(v) ? `${v.slice(0, 4)}-${v.slice(4, 6)}` : null;
    case 'tokens':
      return [...new Set(v.toLowerCase().split(/[^a-z0-9]+/).filter((t) => t.length >= 2))];
  }
}
