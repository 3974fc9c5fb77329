/**
 * Atomic file writes for every file the tools write (checkpoints, metrics.json, figures, result
 * files): a temporary file in the same folder, written to the last byte (short writes are
 * continued), its size checked, fsynced and renamed over the target. Readers see the old file or the
 * new one, never a part; on any error (a full disk, a quota, an I/O error) the old file stays and the
 * temporary is removed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRunning } from './lock';

/** Why a write failed, by errno code, for one-line messages. */
const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'i/o error',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  ENOENT: 'no such folder',
};

/** The errno codes that mean the disk (not the program or its options) failed the write. */
export const DISK_FULL_CODES = ['ENOSPC', 'EDQUOT', 'EIO', 'EFBIG', 'EROFS'];

/**
 * A file could not be written: the message names the file and the cause, e.g.
 * "cannot write runs/x/checkpoint.aae: no space left on device (ENOSPC)". `code` is the errno code
 * ('ESHORT' when fewer bytes reached the file than were written).
 */
export class WriteError extends Error {
  readonly file: string;
  readonly code: string;
  constructor(file: string, code: string, cause: string) {
    super(`cannot write ${file}: ${cause}`);
    this.name = 'WriteError';
    this.file = file;
    this.code = code;
  }
}

/** An errno error as a WriteError naming `file`; other errors (a bug, not the disk) are returned as they are. */
export function asWriteError(file: string, e: unknown): unknown {
  if (e instanceof WriteError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return e;
  return new WriteError(file, code, `${CAUSES[code] ?? (e as Error).message.replace(/^[A-Z0-9]+: /, '').replace(/, \w+ .*$/, '')} (${code})`);
}

/**
 * Writes `length` bytes of `data` from `offset` to `fd`, returns how many it wrote (the
 * `fs.writeSync` contract). `file` is the file being written (not the temporary).
 */
export type WriteHook = (file: string, fd: number, data: Uint8Array, offset: number, length: number) => number;

const defaultWrite: WriteHook = (_file, fd, data, offset, length) => fs.writeSync(fd, data, offset, length);
let write: WriteHook = defaultWrite;

/**
 * Replaces the write call of writeFileAtomic (null: the real one). For tests: a short write, a full
 * disk (throw an error with code 'ENOSPC') or a quota, for every file or some.
 */
export function setAtomicWriteHook(hook: WriteHook | null): void {
  write = hook ?? defaultWrite;
}

/** The temporary files of writeFileAtomic for `file` match this (prefix `.<name>.`). */
const TEMP = /^(\d+)\.\d+\.tmp$/;

/**
 * Removes the temporary files `.<name>.<pid>.<time>.tmp` that writeFileAtomic left next to `file`
 * when a process died mid-write (those of running processes stay). Returns the removed paths.
 */
export function removeStaleTemporaries(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = n.startsWith(prefix) ? TEMP.exec(n.slice(prefix.length)) : null;
    if (!m || isRunning(Number(m[1]))) continue;
    try {
      fs.unlinkSync(path.join(dir, n));
      removed.push(path.join(dir, n));
    } catch {
      // gone already
    }
  }
  return removed;
}

/**
 * Writes bytes to file atomically: temporary file in the same folder, every byte written (short
 * writes are continued), the size checked, fsync, rename; readers see the old file or the new one,
 * never a part. A failure throws a WriteError naming `file` and the cause (for errno errors), keeps
 * the old file and removes the temporary; the temporaries of earlier writers that died are removed
 * after a successful write.
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(tmp, 'w');
    try {
      let done = 0;
      while (done < bytes.length) {
        const n = write(file, fd, bytes, done, bytes.length - done);
        if (!(n > 0)) throw new WriteError(file, 'ENOSPC', `the disk took no more bytes after ${done} of ${bytes.length} (no space left on device?) (ENOSPC)`);
        done += n;
      }
      fs.fsyncSync(fd);
      const size = fs.fstatSync(fd).size;
      if (size !== bytes.length) throw new WriteError(file, 'ESHORT', `only ${size} of ${bytes.length} bytes reached the disk`);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw asWriteError(file, e);
  }
  removeStaleTemporaries(file);
}
