/**
 * `aae-results`: the runs behind the README's result tables.
 *   aae-results classify --labels N --seed S    train the semi-supervised AAE (preset paper), write
 *                                               results/semi-supervised-N<N>-seed<S>.json
 *   aae-results prior-match --prior P --seed S  train the supervised AAE at n_z 2 (or --from a
 *                                               checkpoint), write results/prior-match-<P>-seed<S>.json
 *   aae-results table                           Markdown tables (mean ± std over seeds) from results/*.json
 * Training runs checkpoint every epoch to runs/<result name>/ and rewrite their result file (complete:
 * false) after every epoch; --resume continues an interrupted run. Exit codes as `aae`: 0 done,
 * 2 bad options, 1 failure, 130 interrupted (checkpoint saved).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { intOption } from './main';
import { PRESET_NAMES, LABELED_SOURCES, makeConfig, type AAEConfig, type PresetName, type LabeledSource } from '../models/config';
import { PRIOR_NAMES, type PriorName } from '../priors';
import { initBackend } from '../backend';
import { createExperiment, resumeExperiment, type Experiment } from '../experiment';
import { CHECKPOINT_FILE, loadCheckpoint, saveCheckpoint, writeFileAtomic } from '../train/checkpoint';
import { DivergenceError, type EpochMetrics } from '../train/trainer';
import { loadMnist } from '../data/mnist';
import { priorMatch } from '../eval/metrics';
import {
  classifyResultName,
  priorMatchResultName,
  readResults,
  resultsMarkdown,
  type ClassifyResult,
  type PriorMatchResult,
  type RunInfo,
} from '../eval/results';

class UsageError extends Error {}


interface TrainOpts {
  seed: number;
  preset: PresetName;
  epochs?: number;
  hidden?: number;
  batchSize?: number;
  trainSize?: number;
  evalSize?: number;
  results: string;
  runs: string;
  backend?: string;
  force: boolean;
  resume: boolean;
}

interface ClassifyOpts extends TrainOpts {
  labels: number;
  labeledFrom: LabeledSource;
  n_z?: number;
}

interface PriorMatchOpts extends TrainOpts {
  prior: PriorName;
  from?: string;
  maxSamples: number;
}

function trainingOptions(cmd: Command, defaultPreset: PresetName): Command {
  return cmd
    .addOption(new Option('--seed <n>', 'random seed (weights, training order, labeled subset)').argParser(intOption('--seed', 0, 2 ** 31 - 1)).default(0))
    .addOption(new Option('--preset <name>', 'hyper-parameter preset').choices(PRESET_NAMES).default(defaultPreset))
    .addOption(new Option('--epochs <n>', "training epochs (default: the preset's)").argParser(intOption('--epochs', 1, 100000)))
    .addOption(new Option('--hidden <n>', "units per hidden layer (default: the preset's)").argParser(intOption('--hidden', 1, 20000)))
    .addOption(new Option('--batch-size <n>', "batch size (default: the preset's)").argParser(intOption('--batch-size', 1, 5000)))
    .addOption(new Option('--train-size <n>', 'use only the first N training images (quick runs)').argParser(intOption('--train-size', 1, 55000)))
    .addOption(new Option('--eval-size <n>', 'test images for the per-epoch curve (the final numbers always use all 10,000)').argParser(intOption('--eval-size', 1, 10000)))
    .addOption(new Option('--results <dir>', 'folder of the result files').default('results'))
    .addOption(new Option('--runs <dir>', 'folder of the checkpoints').default('runs'))
    .addOption(new Option('--backend <name>', 'tfjs backend (default: fastest available; env AAE_BACKEND)'))
    .addOption(new Option('--force', 'overwrite an earlier result').default(false))
    .addOption(new Option('--resume', 'continue an interrupted run from its checkpoint').default(false));
}

export function buildResultsProgram(run: (name: string, opts: unknown) => void): Command {
  const p = new Command('aae-results')
    .description('Result runs: semi-supervised classification error, prior matching, and their tables')
    .exitOverride()
    .showHelpAfterError('(add --help for the options)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  trainingOptions(
    p.command('classify').description('train the semi-supervised AAE with N labels and write its test error, curve and wall time'),
    'paper',
  )
    .addOption(new Option('--labels <n>', 'labeled examples (balanced: a multiple of 10; 55000 = all)').argParser(intOption('--labels', 1, 55000)).default(1000))
    .addOption(new Option('--labeled-from <src>', 'balanced (N/10 per class from the training set) or validation').choices(LABELED_SOURCES).default('balanced'))
    .addOption(new Option('--n_z <n>', "style dimensions (default: the preset's)").argParser(intOption('--n_z', 1, 1000)))
    .exitOverride()
    .action((opts) => run('classify', opts));
  trainingOptions(
    p.command('prior-match').description('MMD and mode accuracy of the supervised AAE (n_z 2) codes of the test set against the prior'),
    'fast',
  )
    .addOption(new Option('--prior <name>', 'target prior').choices(PRIOR_NAMES).makeOptionMandatory())
    .addOption(new Option('--from <checkpoint>', 'measure a trained supervised model (e.g. runs/supervised-<prior>-z2/checkpoint.aae) instead of training one'))
    .addOption(new Option('--max-samples <n>', 'codes and prior samples used by the MMD estimate (seeded subsample)').argParser(intOption('--max-samples', 2, 10000)).default(2000))
    .exitOverride()
    .action((opts) => run('prior-match', opts));
  p.command('table')
    .description('print the Markdown result tables (mean ± sample std over seeds) built from the result files')
    .addOption(new Option('--results <dir>', 'folder of the result files').default('results'))
    .exitOverride()
    .action((opts) => run('table', opts));
  return p;
}

function versions(): RunInfo['versions'] {
  return {
    node: process.version,
    tfjs: (require('@tensorflow/tfjs-core/package.json') as { version: string }).version,
    aaeLab: (require('../../package.json') as { version: string }).version,
  };
}

/** Refuses to overwrite a result unless --force or --resume; returns the earlier wall time to add. */
function checkExisting(file: string, ckpt: string, o: TrainOpts): number {
  if (o.force && o.resume) throw new UsageError('--resume and --force exclude each other');
  const old = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as RunInfo) : null;
  if (o.resume) {
    if (!fs.existsSync(ckpt)) throw new UsageError(`--resume: no checkpoint ${ckpt} to continue from`);
    if (old?.complete) throw new UsageError(`--resume: ${file} is already complete; use --force to run it again`);
    return old && !old.complete ? old.wallSeconds : 0;
  }
  if (old && !o.force) {
    throw new UsageError(
      old.complete ? `${file} already holds a complete result; use --force to run it again` : `${file} holds an interrupted run; continue it with --resume or restart with --force`,
    );
  }
  return 0;
}

interface Trained {
  exp: Experiment;
  wallSeconds: number;
  outcome: 'completed' | 'interrupted';
}

/** Trains (or resumes) with a checkpoint and a progress record after every epoch. */
async function trainRecorded(
  cfg: AAEConfig,
  o: TrainOpts,
  ckpt: string,
  earlierSeconds: number,
  record: (exp: Experiment, wallSeconds: number, complete: boolean) => void,
): Promise<Trained> {
  fs.mkdirSync(path.dirname(ckpt), { recursive: true });
  const exp = o.resume ? resumeExperiment(ckpt, { model: cfg.model, prior: cfg.prior }, undefined, o.epochs) : createExperiment(cfg);
  const started = Date.now();
  const wall = () => earlierSeconds + (Date.now() - started) / 1000;
  const ctrl = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`\n${sig}: stopping after this batch and saving a checkpoint...`);
    ctrl.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const save = () => {
    saveCheckpoint(ckpt, exp.model, exp.trainer.snapshot(), { command: 'aae-results' });
    record(exp, wall(), false);
  };
  try {
    const outcome = await exp.trainer.run({
      epochs: exp.config.epochs,
      signal: ctrl.signal,
      evalSize: o.evalSize,
      callbacks: {
        onEpochEnd(m: EpochMetrics) {
          const err = m.test_error === undefined ? '' : `  test_error ${(100 * m.test_error).toFixed(2)}%`;
          console.log(`epoch ${m.epoch + 1}/${exp.config.epochs}  lr ${m.lr}  test_reconstruction ${m.test_reconstruction.toFixed(4)}${err}  (${m.seconds.toFixed(1)} s)`);
          save();
        },
      },
    });
    if (outcome === 'interrupted') save();
    return { exp, wallSeconds: wall(), outcome };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function runInfo(exp: Experiment, o: TrainOpts, backend: string, wallSeconds: number, complete: boolean): RunInfo {
  return {
    seed: exp.config.seed,
    preset: o.preset,
    epochs: exp.config.epochs,
    config: exp.config,
    history: exp.trainer.history,
    wallSeconds,
    backend,
    versions: versions(),
    date: new Date().toISOString(),
    complete,
  };
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

function configFor(o: TrainOpts, overrides: Partial<AAEConfig>): AAEConfig {
  try {
    return makeConfig(
      { ...overrides, seed: o.seed, epochs: o.epochs, nHidden: o.hidden, batchSize: o.batchSize, trainSize: o.trainSize },
      o.preset,
    );
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

async function classify(o: ClassifyOpts, backend: string): Promise<number> {
  const cfg = configFor(o, { model: 'semi_supervised', nLabeled: o.labels, labeledFrom: o.labeledFrom, nZ: o.n_z });
  if (cfg.labeledFrom === 'balanced' && cfg.trainSize > 0 && cfg.nLabeled > cfg.trainSize) {
    throw new UsageError(`--labels ${cfg.nLabeled} is larger than --train-size ${cfg.trainSize}`);
  }
  const name = classifyResultName(cfg.nLabeled, cfg.seed);
  const file = path.join(o.results, name);
  const ckpt = path.join(o.runs, name.replace(/\.json$/, ''), CHECKPOINT_FILE);
  const earlier = checkExisting(file, ckpt, o);
  const result = (exp: Experiment, wallSeconds: number, complete: boolean, testError: number | null): ClassifyResult => ({
    kind: 'semi-supervised-classification',
    labels: exp.config.nLabeled,
    ...runInfo(exp, o, backend, wallSeconds, complete),
    testError,
  });
  const t = await trainRecorded(cfg, o, ckpt, earlier, (exp, w, c) => writeJson(file, result(exp, w, c, null)));
  if (t.outcome === 'interrupted') {
    console.error(`interrupted: checkpoint ${ckpt}; continue with the same command plus --resume`);
    return 130;
  }
  const last = t.exp.trainer.history.at(-1);
  const full = o.evalSize === undefined || o.evalSize >= t.exp.data.test.count;
  const testError = full && last?.test_error !== undefined ? last.test_error : (t.exp.trainer.evaluateTest().test_error as number);
  writeJson(file, result(t.exp, t.wallSeconds, true, testError));
  console.log(`test error ${(100 * testError).toFixed(2)}% with ${cfg.nLabeled} labels (seed ${cfg.seed}); wrote ${file}`);
  return 0;
}

async function priorMatchCommand(o: PriorMatchOpts, backend: string): Promise<number> {
  const file = path.join(o.results, priorMatchResultName(o.prior, o.seed));
  if (o.from) {
    if (fs.existsSync(file) && !o.force) throw new UsageError(`${file} already exists; use --force to overwrite it`);
    let ck;
    try {
      ck = loadCheckpoint(o.from, { model: 'supervised', prior: o.prior });
    } catch (e) {
      throw new UsageError(`--from ${o.from}: ${(e as Error).message}`);
    }
    const started = Date.now();
    const m = priorMatch(ck.model, loadMnist().test, o.prior, o.seed, { maxSamples: o.maxSamples });
    const out: PriorMatchResult = {
      kind: 'prior-match',
      source: o.from,
      ...m,
      seed: o.seed,
      preset: null,
      epochs: ck.config.epochs,
      config: ck.config,
      history: ck.trainer?.history ?? [],
      wallSeconds: (Date.now() - started) / 1000,
      backend,
      versions: versions(),
      date: new Date().toISOString(),
      complete: true,
    };
    writeJson(file, out);
    console.log(`${o.prior}: MMD² ${m.mmd2.toExponential(3)}, mode accuracy ${m.modeAccuracy === null ? '-' : (100 * m.modeAccuracy).toFixed(1) + '%'}; wrote ${file}`);
    return 0;
  }
  const cfg = configFor(o, { model: 'supervised', prior: o.prior, nZ: 2 });
  const ckpt = path.join(o.runs, path.basename(file, '.json'), CHECKPOINT_FILE);
  const earlier = checkExisting(file, ckpt, o);
  const record = (exp: Experiment, wallSeconds: number, complete: boolean, m: ReturnType<typeof priorMatch> | null) => ({
    kind: 'prior-match' as const,
    source: 'trained',
    ...(m ?? { prior: o.prior, nZ: 2, count: 0, mmd2: null, mmd: null, bandwidths: [], modeAccuracy: null }),
    ...runInfo(exp, o, backend, wallSeconds, complete),
  });
  const t = await trainRecorded(cfg, o, ckpt, earlier, (exp, w, c) => writeJson(file, record(exp, w, c, null)));
  if (t.outcome === 'interrupted') {
    console.error(`interrupted: checkpoint ${ckpt}; continue with the same command plus --resume`);
    return 130;
  }
  const m = priorMatch(t.exp.model, t.exp.data.test, o.prior, o.seed, { maxSamples: o.maxSamples });
  writeJson(file, record(t.exp, t.wallSeconds, true, m));
  console.log(`${o.prior}: MMD² ${m.mmd2.toExponential(3)}, mode accuracy ${(100 * (m.modeAccuracy as number)).toFixed(1)}%; wrote ${file}`);
  return 0;
}

export async function resultsMain(argv: string[]): Promise<number> {
  let chosen: { name: string; opts: unknown } | null = null;
  try {
    buildResultsProgram((name, opts) => {
      chosen = { name, opts };
    }).parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const c = chosen as { name: string; opts: unknown } | null;
  if (!c) {
    console.error('aae-results: name a command: classify, prior-match or table (see --help)');
    return 2;
  }
  if (c.name === 'table') {
    const read = readResults((c.opts as { results: string }).results);
    for (const s of read.skipped) console.error(`skipped ${s.file}: ${s.reason}`);
    process.stdout.write(resultsMarkdown(read));
    return 0;
  }
  let backend: string;
  try {
    const info = await initBackend({ backend: (c.opts as TrainOpts).backend });
    backend = info.name;
    console.error(`backend: ${info.description}`);
  } catch (e) {
    console.error(`aae-results: --backend: ${(e as Error).message}`);
    return 2;
  }
  try {
    return c.name === 'classify' ? await classify(c.opts as ClassifyOpts, backend) : await priorMatchCommand(c.opts as PriorMatchOpts, backend);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`aae-results ${c.name}: ${e.message}`);
      return 2;
    }
    if (e instanceof DivergenceError) {
      console.error(`aae-results ${c.name}: ${e.message}; the last good checkpoint is kept`);
      return 1;
    }
    if (e instanceof RangeError) {
      console.error(`aae-results ${c.name}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
