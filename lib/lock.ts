/**
 * A lock file that keeps two runs out of one folder (or one result file): created with the `wx` flag
 * (fails when it exists) and holding the pid of its run, kept for the run's life and removed when the
 * run ends (also on an error, a signal or process.exit). A lock whose pid is no longer running (a run
 * that was killed) is stale: it is taken over, with a message.
 */
import * as fs from 'node:fs';

/** The lock file of a run folder. */
export const LOCK_FILE = '.aae.lock';

/** Another running process holds the lock: the CLIs exit 2 with this message. */
export class LockError extends Error {
  readonly pid: number | null;
  constructor(message: string, pid: number | null) {
    super(message);
    this.name = 'LockError';
    this.pid = pid;
  }
}

export interface RunLock {
  file: string;
  /** The pid of the dead run whose lock was taken over (null: there was none). */
  tookOverFrom: number | null;
  /** Removes the lock file (once; a later call does nothing). */
  release(): void;
}

/** Whether a process with this pid runs (EPERM: it runs as another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(file: string): number | null {
  try {
    const m = /^\s*(\d+)\s*$/.exec(fs.readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const held = new Set<string>();
let exitHook = false;
function removeHeldLocks(): void {
  for (const f of held) {
    try {
      if (holder(f) === process.pid) fs.unlinkSync(f);
    } catch {
      // gone already
    }
  }
  held.clear();
}

/**
 * Takes the lock `file` for this process. `what` names the locked thing in messages (e.g.
 * "--out runs/x"). Throws a LockError when a running process holds it; takes over (and reports
 * through `tookOverFrom`) a lock left by a process that is gone. Other errors (the folder is not
 * writable) are thrown as they are.
 */
export function acquireLock(file: string, what: string): RunLock {
  let tookOverFrom: number | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx');
      try {
        fs.writeSync(fd, `${process.pid}\n`);
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw e;
    }
    let pid = holder(file);
    if (pid === null) {
      // Just created by another run that has not written its pid yet, or damaged: look again shortly.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      pid = holder(file);
    }
    if (pid !== null && pid !== process.pid && isRunning(pid)) {
      throw new LockError(`${what} is in use by another run (pid ${pid}, lock file ${file}); wait for it to end or use another folder`, pid);
    }
    if (pid === process.pid && held.has(file)) {
      throw new LockError(`${what} is already in use by this process (lock file ${file})`, pid);
    }
    // Stale: its run is gone (or the file holds no pid). Remove it and try again.
    tookOverFrom = pid;
    try {
      fs.unlinkSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  held.add(file);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', removeHeldLocks);
  }
  let released = false;
  return {
    file,
    tookOverFrom,
    release() {
      if (released) return;
      released = true;
      held.delete(file);
      try {
        if (holder(file) === process.pid) fs.unlinkSync(file);
      } catch {
        // gone already
      }
    },
  };
}
