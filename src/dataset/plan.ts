/**
 * The shard plan: the sources sorted by a stable key (their id: path or URL)
 * and cut into logical shards of N files. What a shard holds depends only on
 * the inputs and N, never on timing or on how many workers ran.
 */
import type { SourceItem } from '../sources/item.js';

export interface PlannedShard {
  index: number;
  /** `shard-000003` (the file adds `.tar` or `.tfrecord`). */
  name: string;
  items: SourceItem[];
}

export function shardName(index: number): string {
  return `shard-${String(index).padStart(6, '0')}`;
}

/**
 * @example planShards(items, 256)[0].items // the 256 first files in id order
 */
export function planShards(items: readonly SourceItem[], shardFiles: number): PlannedShard[] {
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const shards: PlannedShard[] = [];
  for (let i = 0; i * shardFiles < sorted.length; i++) shards.push({ index: i, name: shardName(i), items: sorted.slice(i * shardFiles, (i + 1) * shardFiles) });
  return shards;
}

/** Shards worker `index` of `size` writes: k mod size = index. */
export function shardsOf<T extends { index: number }>(shards: readonly T[], index: number, size: number): T[] {
  return shards.filter((s) => s.index % size === index);
}
