/**
 * The run driver both CLIs share: signals (Ctrl-C, SIGTERM), the folder and file locks, the backend,
 * training with a checkpoint after every epoch and progress on stderr, the epoch log line, the
 * errors a user can act on (one line, exit code) and the final one-line summary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import { version_core } from '@tensorflow/tfjs-core';
import { backendLabel, initBackend } from '../backend';
import { missingConvKernels } from '../nn/nets';
import { LOCK_FILE, acquireLock, type RunLock } from '../lock';
import { WriteError, asWriteError } from '../atomic-write';
import { readCheckpoint, trainWithCheckpoints, type CheckpointedRun } from '../train/checkpoint';
import { DivergenceError, type EpochMetrics, type TrainCallbacks } from '../train/trainer';
import { EXIT, TrainingFailed, UsageError, errorExit, ignoreClosedOutput } from './common';

/** The versions a run records: Node, tfjs and this package. */
export function versions(): { node: string; tfjs: string; aaeLab: string } {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return { node: process.version, tfjs: version_core, aaeLab: pkg.version };
}

/** A number as the log lines show it. */
export function fmt(v: number | undefined): string {
  return v === undefined ? '-' : Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2);
}

/** The line logged after every epoch: its metrics (errors in %), learning rate and seconds. */
export function epochLine(m: EpochMetrics, total: number): string {
  const parts = Object.entries(m)
    .filter(([k]) => k.startsWith('train_') || k.startsWith('val_') || k.startsWith('test_') || k === 'labeled_error')
    .map(([k, v]) => `${k} ${k.endsWith('_error') ? (100 * v).toFixed(2) + '%' : fmt(v)}`);
  return `epoch ${m.epoch + 1}/${total}  lr ${+m.lr.toPrecision(4)}  ${parts.join('  ')}  (${m.seconds.toFixed(1)} s)`;
}

/** Wall time as the summary shows it: 42.0 s, 12.5 min, 3.2 h. */
export function wallText(seconds: number): string {
  return seconds < 120 ? `${seconds.toFixed(1)} s` : seconds < 7200 ? `${(seconds / 60).toFixed(1)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

/** The last line of a run: what was trained, its key metric, the wall time and where the files are. */
export function summaryLine(what: string, metric: string, seconds: number, where: string): string {
  return `done: ${what}; ${metric}; ${wallText(seconds)}; files in ${where}`;
}

/**
 * A progress bar on a terminal; otherwise (logs, pipes, a parent process) a line
 * `progress: epoch E/T batch B/N recon X` about every tenth of an epoch, and after the last batch.
 * Every epoch ends with its epochLine on stdout.
 */
export function progressCallbacks(total: number, show: boolean, tty: boolean): TrainCallbacks {
  let bar: SingleBar | null = null;
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  return {
    onBatchEnd(info) {
      if (!show) return;
      if (!tty) {
        const every = Math.max(1, Math.floor(info.batches / 10));
        if (info.batch % every === 0 || info.batch === info.batches) {
          process.stderr.write(`progress: epoch ${info.epoch + 1}/${total} batch ${info.batch}/${info.batches} recon ${fmt(info.losses.reconstruction)}\n`);
        }
        return;
      }
      if (!bar) {
        bar = new SingleBar(
          { format: `epoch ${info.epoch + 1}/${total} [{bar}] {value}/{total} batches  {eta_formatted} left  recon {recon}`, hideCursor: true, stream: process.stderr },
          Presets.shades_classic,
        );
        bar.start(info.batches, info.batch - 1, { recon: '-' });
      }
      bar.update(info.batch, { recon: fmt(info.losses.reconstruction) });
    },
    onEpochEnd(m) {
      stopBar();
      console.log(epochLine(m, total));
    },
    onTrainEnd: stopBar,
  };
}

/**
 * mkdir -p that returns the folders it created (outermost first), so a run that stops before its
 * first result can remove them again. (Node's own recursive mkdir loops forever on some paths,
 * for example under /proc.)
 */
export function makeDirs(dir: string): string[] {
  const { missing, blocker } = pathOf(dir);
  if (blocker !== null) throw new WriteError(blocker, 'ENOTDIR', 'a file, not a folder (ENOTDIR)');
  const created: string[] = [];
  let making = '';
  try {
    for (const m of missing) {
      making = m;
      fs.mkdirSync(m);
      created.push(m);
    }
  } catch (e) {
    removeDirs(created);
    throw asWriteError(making, e);
  }
  return created;
}

/**
 * The folders of `dir`'s path that do not exist yet (outermost first), and the file that stops it
 * from being a folder (`dir` itself or the nearest existing path above it), or null.
 */
function pathOf(dir: string): { missing: string[]; blocker: string | null } {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.unshift(d);
    const up = path.dirname(d);
    if (up === d) return { missing, blocker: null };
    d = up;
  }
  return { missing, blocker: fs.statSync(d).isDirectory() ? null : d };
}

/** The file that stops `dir` from being a folder (`dir` itself or a folder above it), or null. */
export function fileInTheWay(dir: string): string | null {
  return pathOf(dir).blocker;
}

/** Removes folders made by makeDirs, innermost first, as long as they are empty. */
export function removeDirs(created: string[]): void {
  for (const d of [...created].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      return;
    }
  }
}

/** One command's run: its signals, locks and the folders it created; `runCommand` sets it up and tears it down. */
export class RunContext {
  readonly ctrl = new AbortController();
  signalName: string | null = null;
  training = false;
  /** True once results are written: the folders this run created are kept. */
  wroteResults = false;
  readonly created: string[] = [];
  private readonly locks: RunLock[] = [];

  get signal(): AbortSignal {
    return this.ctrl.signal;
  }

  /** Takes `lockFile` for this run (exit 2 when another run holds it), released when the run ends. */
  lock(lockFile: string, what: string): RunLock {
    const lock = acquireLock(lockFile, what);
    if (lock.tookOverFrom !== null) console.error(`note: taking over the stale lock ${lock.file} of pid ${lock.tookOverFrom} (that run is gone)`);
    this.locks.push(lock);
    return lock;
  }

  /** Locks a run folder (created if needed): its .aae.lock. */
  lockFolder(dir: string): RunLock {
    this.created.push(...makeDirs(dir));
    return this.lock(path.join(dir, LOCK_FILE), `run folder ${dir}`);
  }

  /** Locks a file: .<name>.lock beside it (its folder created if needed). */
  lockFile(file: string): RunLock {
    this.created.push(...makeDirs(path.dirname(file)));
    return this.lock(path.join(path.dirname(file), `.${path.basename(file)}.lock`), file);
  }

  releaseLocks(): void {
    for (const l of this.locks.splice(0).reverse()) l.release();
  }

  /** Before training: a signal has arrived, so nothing is written (exit 130). */
  stoppedEarly(prefix: string): number | null {
    if (!this.signal.aborted) return null;
    console.error(`${prefix}: interrupted by ${this.signalName} before training started; nothing was written`);
    return EXIT.interrupted;
  }
}

/**
 * Runs one command: Ctrl-C or SIGTERM stops it cleanly (before training nothing is written; during
 * training it stops after the batch with a checkpoint; a second signal exits at once, the previous
 * checkpoint intact), an error the user can act on is one line `prefix: message` with its exit code,
 * locks are released and the folders it made are removed unless it wrote results.
 */
export async function runCommand(prefix: string, body: (run: RunContext) => Promise<number>): Promise<number> {
  ignoreClosedOutput();
  const run = new RunContext();
  const onSignal = (sig: NodeJS.Signals) => {
    if (run.signalName) {
      console.error(`\n${sig} again: exiting without a new checkpoint`);
      process.exit(EXIT.interrupted);
    }
    run.signalName = sig;
    if (run.training) console.error(`\n${sig}: stopping after this batch and saving a checkpoint (again to quit at once)...`);
    run.ctrl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await body(run);
  } catch (e) {
    const x = errorExit(e);
    if (!x) throw e;
    console.error(`${prefix}: ${x.message}`);
    return x.code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    run.releaseLocks();
    if (!run.wroteResults) removeDirs(run.created);
  }
}

/**
 * Starts the tfjs backend (--backend, else the fastest available), naming it on stderr; a bad one is
 * a usage error, and so is `--networks conv` on a backend that cannot train convolutions.
 */
export async function startBackend(name: string | undefined, networks?: string): Promise<string> {
  let info;
  try {
    info = await initBackend({ backend: name });
  } catch (e) {
    throw new UsageError(`--backend: ${(e as Error).message}`);
  }
  console.error(`backend: ${info.description}`);
  if (info.hint) console.error(`hint: ${info.hint}`);
  const missing = networks === 'conv' ? missingConvKernels() : [];
  if (missing.length) {
    throw new UsageError(
      `--networks conv: the ${info.name} backend cannot train convolutions (it lacks ${missing.join(', ')}); give --backend wasm-blas (its native convolution kernels) or cpu (slow), or --networks mlp`,
    );
  }
  return backendLabel(info)!;
}

export interface DriveOptions {
  /** Train up to this many epochs in all. */
  epochs: number;
  evalSize?: number;
  /** Progress on stderr (--no-progress: false). */
  progress: boolean;
  meta: () => Record<string, unknown>;
  /** After every checkpoint (the result or metrics file is rewritten). */
  afterSave: () => void;
  /** Filled in as the run goes: where its time went. */
  times?: RunTimes;
  /** The checkpoint the run was resumed from when it is not `ckptFile` (a shorter run continued). */
  resumedFrom?: string;
}

/** Where a run's time went, in seconds: the training steps, the per-epoch evaluation, the checkpoints (with metrics files), the figures. */
export interface RunTimes {
  steps: number;
  evaluation: number;
  checkpoints: number;
  figures: number;
}

export const newRunTimes = (): RunTimes => ({ steps: 0, evaluation: 0, checkpoints: 0, figures: 0 });

/** The line that says where the time went and what share of it was not training steps. */
export function timesLine(t: RunTimes): string {
  const other = t.evaluation + t.checkpoints + t.figures;
  const all = t.steps + other;
  const pct = all > 0 ? ((100 * other) / all).toFixed(1) : '0.0';
  const sec = (x: number) => (x < 120 ? `${x.toFixed(2)} s` : wallText(x));
  return `time: steps ${sec(t.steps)}, evaluation ${sec(t.evaluation)}, checkpoints ${sec(t.checkpoints)}, figures ${sec(t.figures)}: evaluation, checkpoints and figures ${pct}% of ${sec(all)}`;
}

/**
 * A resumed run whose checkpoint was trained on another backend (or other products: AAE_GEMM)
 * continues, with a note that it will not repeat an uninterrupted run bit for bit.
 */
function resumeNote(exp: CheckpointedRun, ckptFile: string, backend: string | null): void {
  if (exp.trainer.history.length === 0 && exp.trainer.state.batch === 0) return;
  if (!fs.existsSync(ckptFile)) return;
  const earlier = readCheckpoint(ckptFile).header.meta?.backend;
  if (typeof earlier !== 'string' || !backend || earlier === backend) return;
  const hint = earlier === 'wasm-blas' && backend === 'wasm-blas+avx512' ? '; AAE_GEMM=openblas continues it on the products it began with' : '';
  console.error(`note: ${ckptFile} was trained on ${earlier} and continues on ${backend}: the run will not repeat an uninterrupted one bit for bit${hint}`);
}

/**
 * Trains `exp` with a checkpoint in `ckptFile` after every epoch, progress on stderr and the epoch
 * line on stdout. Interrupted: the checkpoint of the exact position is saved and the message says
 * how to continue (exit 130). Divergence: TrainingFailed naming the last good checkpoint kept.
 */
export async function drive(run: RunContext, exp: CheckpointedRun, ckptFile: string, o: DriveOptions): Promise<'completed' | number> {
  run.training = true;
  run.wroteResults = true;
  const backend = backendLabel();
  const meta = () => ({ ...(o.meta?.() ?? {}), backend });
  resumeNote(exp, o.resumedFrom ?? ckptFile, backend);
  try {
    const outcome = await trainWithCheckpoints(exp, ckptFile, {
      epochs: o.epochs,
      signal: run.signal,
      evalSize: o.evalSize,
      callbacks: [
        progressCallbacks(o.epochs, o.progress, !!process.stderr.isTTY),
        {
          onEpochEnd: (m, t) => {
            if (!o.times) return;
            // the trainer's own clock: the epoch's steps, then its evaluation (m.seconds holds both)
            o.times.steps += t.state.epochSeconds;
            o.times.evaluation += m.seconds - t.state.epochSeconds;
          },
        },
      ],
      meta,
      afterSave: o.afterSave,
      onSaveTime: (s) => {
        if (o.times) o.times.checkpoints += s;
      },
    });
    if (outcome === 'interrupted') {
      console.error(`interrupted by ${run.signalName}: checkpoint saved to ${ckptFile}; continue with the same command plus --resume`);
      return EXIT.interrupted;
    }
    return 'completed';
  } catch (e) {
    if (e instanceof DivergenceError) {
      const t = fs.existsSync(ckptFile) ? readCheckpoint(ckptFile).header.trainer : null;
      const kept = t
        ? `the last good checkpoint is kept in ${ckptFile} (after ${t.epoch} epoch(s)${t.batch ? ` and ${t.batch} batch(es)` : ''})`
        : 'no checkpoint was written (it diverged before the end of the first epoch)';
      throw new TrainingFailed(`${e.message}; stopped: ${kept}`);
    }
    throw e;
  } finally {
    run.training = false;
  }
}
