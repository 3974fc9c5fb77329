/**
 * `aae`: the original project's main.py in TypeScript. Trains a supervised or semi-supervised AAE
 * on MNIST and writes metrics (JSON), a checkpoint and the experiment's figures (PNG) to --out.
 * Exit codes: 0 done, 2 bad options (nothing is written), 1 failure, 130 interrupted (checkpoint saved).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { MODEL_NAMES, PRESET_NAMES, PRESETS, LABELED_SOURCES, makeConfig, type AAEConfig, type ModelName, type PresetName, type LabeledSource } from '../models/config';
import { PRIOR_NAMES, checkPrior, type PriorName } from '../priors';
import { initBackend } from '../backend';
import { createExperiment, resumeExperiment, type Experiment } from '../experiment';
import { CHECKPOINT_FILE, saveCheckpoint, writeFileAtomic } from '../train/checkpoint';
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
  batchSize?: number;
  hidden?: number;
  labels?: number;
  labeledFrom?: LabeledSource;
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
    .addOption(new Option('--preset <name>', 'hyper-parameter preset: original (3000 units, 100 epochs, batch 128), fast (1000 units, 10 epochs, batch 100) or paper (the AAE paper\'s semi-supervised setup: 1000 units, style n_z 10, batch 100, 1000 balanced labels, 100 epochs)').choices(PRESET_NAMES).default('fast'))
    .addOption(new Option('--epochs <n>', 'training epochs (default: the preset\'s)').argParser(intOption('--epochs', 1, 10000)))
    .addOption(new Option('--batch-size <n>', 'batch size (default: the preset\'s)').argParser(intOption('--batch-size', 1, 5000)))
    .addOption(new Option('--hidden <n>', 'units per hidden layer (default: the preset\'s)').argParser(intOption('--hidden', 1, 20000)))
    .addOption(new Option('--labels <n>', 'semi-supervised: labeled examples (default 5000)').argParser(intOption('--labels', 1, 55000)))
    .addOption(new Option('--labeled-from <src>', 'semi-supervised: validation (first N validation images, the original) or balanced (N/10 per class from the training set)').choices(LABELED_SOURCES))
    .addOption(new Option('--train-size <n>', 'use only the first N training images (default: all 55000)').argParser(intOption('--train-size', 1, 55000)))
    .addOption(new Option('--seed <n>', 'random seed').argParser(intOption('--seed', 0, 2 ** 31 - 1)).default(0))
    .addOption(new Option('--out <dir>', 'output folder (default runs/<model>-<prior>-z<n_z>)'))
    .addOption(new Option('--resume', 'continue the run in --out from its checkpoint').default(false))
    .addOption(new Option('--force', 'overwrite an earlier run in --out').default(false))
    .addOption(new Option('--backend <name>', 'tfjs backend: tensorflow-gpu, tensorflow, wasm-blas, wasm, cpu (default: fastest available; env AAE_BACKEND)'))
    .addOption(new Option('--eval-size <n>', 'test images used for per-epoch metrics (default 10000)').argParser(intOption('--eval-size', 1, 10000)))
    .addOption(new Option('--no-progress', 'no progress bar'))
    .showHelpAfterError('(run aae --help for all options and their defaults)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  return p;
}

/** Cross-option checks, before any work: each failure names the option, the value and the valid choices. */
export function resolveConfig(o: CliOptions): AAEConfig {
  const nZ = o.n_z ?? PRESETS[o.preset].nZ;
  try {
    checkPrior(o.prior, nZ, o.model === 'supervised');
  } catch (e) {
    throw new UsageError(`--n_z ${nZ} does not fit --prior ${o.prior}: ${(e as Error).message}`);
  }
  const labeledFrom = o.labeledFrom ?? PRESETS[o.preset].labeledFrom;
  if (o.labels !== undefined) {
    const max = labeledFrom === 'validation' ? 5000 : 55000;
    if (o.labels > max) {
      throw new UsageError(`--labels ${o.labels} is larger than the ${labeledFrom === 'validation' ? 'validation set' : 'training set'}; valid: 1 to ${max}${labeledFrom === 'validation' ? ' (or --labeled-from balanced for up to 55000)' : ''}`);
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
        batchSize: o.batchSize,
        nHidden: o.hidden,
        nLabeled: o.labels,
        labeledFrom: o.labeledFrom,
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

/** Checks --out is usable, and that it holds no earlier run unless --resume or --force. */
export function prepareOut(out: string, o: Pick<CliOptions, 'resume' | 'force'>): void {
  if (o.resume && o.force) throw new UsageError('--resume and --force exclude each other: continue a run, or overwrite it');
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
    throw new UsageError(`--out ${out} is a file, not a folder`);
  }
  try {
    fs.mkdirSync(out, { recursive: true });
    fs.accessSync(out, fs.constants.W_OK);
    const probe = path.join(out, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (e) {
    throw new UsageError(`--out ${out} is not writable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const existing = RESULT_FILES.filter((f) => fs.existsSync(path.join(out, f)));
  if (o.resume) {
    if (!fs.existsSync(path.join(out, CHECKPOINT_FILE))) {
      throw new UsageError(`--resume: --out ${out} holds no ${CHECKPOINT_FILE} to continue from`);
    }
  } else if (existing.length > 0 && !o.force) {
    throw new UsageError(`--out ${out} already holds a run (${existing.join(', ')}); use --resume to continue it or --force to overwrite it`);
  }
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2);
}

function epochLine(m: EpochMetrics, total: number): string {
  const parts = Object.entries(m)
    .filter(([k]) => k.startsWith('train_') || k.startsWith('test_'))
    .map(([k, v]) => `${k} ${k === 'test_error' ? (100 * v).toFixed(2) + '%' : fmt(v)}`);
  return `epoch ${m.epoch + 1}/${total}  lr ${m.lr}  ${parts.join('  ')}  (${m.seconds.toFixed(1)} s)`;
}

function progressCallbacks(total: number, show: boolean): TrainCallbacks {
  let bar: SingleBar | null = null;
  return {
    onBatchEnd(info) {
      if (!show) return;
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
  let cfg: AAEConfig;
  let out: string;
  try {
    cfg = resolveConfig(o);
    out = o.out ?? path.join('runs', `${cfg.model}-${cfg.prior}-z${cfg.nZ}`);
    prepareOut(out, o);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`aae: ${e.message}`);
      return 2;
    }
    throw e;
  }

  let backendName: string;
  try {
    const info = await initBackend({ backend: o.backend });
    backendName = info.name;
    console.error(`backend: ${info.description}`);
    if (info.hint) console.error(`hint: ${info.hint}`);
  } catch (e) {
    console.error(`aae: --backend: ${(e as Error).message}`);
    return 2;
  }

  const ckptFile = path.join(out, CHECKPOINT_FILE);
  let exp: Experiment;
  if (o.resume) {
    exp = resumeExperiment(ckptFile, { model: cfg.model, prior: cfg.prior, nZ: cfg.nZ }, undefined);
    console.error(`resuming ${ckptFile} at epoch ${exp.trainer.state.epoch + 1}, batch ${exp.trainer.state.batch}`);
  } else {
    exp = createExperiment(cfg);
  }
  const total = o.epochs ?? exp.config.epochs;
  const started = Date.now();
  const initial = o.resume ? null : exp.trainer.evaluateTest(o.evalSize);
  if (initial) console.log(`before training: test_reconstruction ${fmt(initial.test_reconstruction)}`);

  const meta = () => ({ backend: backendName, argv });
  const writeMetrics = () =>
    writeFileAtomic(
      path.join(out, 'metrics.json'),
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
    if (signalName) return;
    signalName = sig;
    console.error(`\n${sig}: stopping after this batch and saving a checkpoint...`);
    ctrl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const saveEpoch: TrainCallbacks = {
    onEpochEnd: () => {
      saveCheckpoint(ckptFile, exp.model, exp.trainer.snapshot(), meta());
      writeMetrics();
    },
  };
  try {
    const outcome = await exp.trainer.run({
      epochs: total,
      signal: ctrl.signal,
      evalSize: o.evalSize,
      callbacks: [progressCallbacks(total, o.progress && !!process.stderr.isTTY), saveEpoch],
    });
    if (outcome === 'interrupted') {
      saveCheckpoint(ckptFile, exp.model, exp.trainer.snapshot(), meta());
      writeMetrics();
      console.error(`interrupted by ${signalName}: checkpoint saved to ${ckptFile}; continue with the same command plus --resume`);
      return 130;
    }
  } catch (e) {
    if (e instanceof DivergenceError) {
      console.error(`aae: ${e.message}; stopped. The last good checkpoint (end of the previous epoch, if any) is kept in ${ckptFile}`);
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
  console.log(`wrote ${path.join(out, 'metrics.json')}, ${ckptFile}`);
  return 0;
}
