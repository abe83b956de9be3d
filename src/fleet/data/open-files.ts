// The open-files limit sizes the connection limit: each proxied connection holds two
// descriptors (the client's and one to a member). bin/fleet raises the soft limit to the
// hard one before Node starts, since Node itself cannot.
import fs from 'node:fs';
import { RESERVED_FILES } from '../config.js';

export interface FileLimit {
  soft: number;
  hard: number;
}

/** This process's RLIMIT_NOFILE, from /proc; undefined where /proc does not say. */
export function openFilesLimit(limits = '/proc/self/limits'): FileLimit | undefined {
  let text: string;
  try {
    text = fs.readFileSync(limits, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!match) return undefined;
  const read = (value: string): number => (value === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(value));
  return { soft: read(match[1]), hard: read(match[2]) };
}

/** The client connections the descriptors allow, never more than asked and never below 64. */
export function connectionBudget(requested: number, limit: FileLimit | undefined): number {
  if (!limit) return requested;
  return Math.max(64, Math.min(requested, Math.floor((limit.soft - RESERVED_FILES) / 2)));
}
