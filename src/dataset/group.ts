/**
 * The grouping id that keeps one patient's samples on one side of a split,
 * without the PatientID itself ever leaving the process: an HMAC-SHA256 of
 * it under a secret key. The key comes from DICOMFLOW_GROUP_KEY (array
 * workers on many machines must share one), otherwise from a key created
 * once per user outside any dataset, so runs on one machine agree. The key
 * is never written into a dataset.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

let cached: Buffer | undefined;

/** Where the per-user key is kept: $XDG_CONFIG_HOME/dicomflow/group.key or ~/.config/dicomflow/group.key. */
export function groupKeyPath(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'dicomflow', 'group.key');
}

export function groupKey(): Buffer {
  if (cached) return cached;
  const env = process.env.DICOMFLOW_GROUP_KEY;
  if (env !== undefined && env !== '') return (cached = Buffer.from(env, 'utf8'));
  const path = groupKeyPath();
  try {
    cached = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex');
    if (cached.length >= 16) return cached;
  } catch {
    // not made yet
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('hex');
  try {
    // 'wx': two processes creating it at once keep the first one's.
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    // another process made it first
  }
  return (cached = Buffer.from(readFileSync(path, 'utf8').trim(), 'hex'));
}

/**
 * @example groupId('PAT-0001') // '5f0c…' (32 hex characters), the same for every sample of that patient
 */
export function groupId(patientId: string | null): string | null {
  if (patientId === null) return null;
  return createHmac('sha256', groupKey()).update(patientId, 'utf8').digest('hex').slice(0, 32);
}
