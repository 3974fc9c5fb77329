/**
 * `aae-results`: the runs behind the README's result tables.
 *   aae-results classify --labels N --seed S    train the semi-supervised AAE (preset paper), write
 *                                               results/semi-supervised-N<N>-e<epochs>-seed<S>.json
 *   aae-results classify --from <checkpoint>    the same result file for a model trained elsewhere
 *                                               (e.g. by notebook 05), measured on the 10,000 test images
 *   aae-results prior-match --prior P --seed S  train the supervised AAE at n_z 2 (or --from a
 *                                               checkpoint), write results/prior-match-<P>-e<epochs>-seed<S>.json
 *   aae-results table                           Markdown tables (mean ± std over seeds) from results/*.json
 * Training runs checkpoint every epoch to runs/<result name>/ and rewrite their result file (complete:
 * false) after every epoch; --resume continues an interrupted run. With --from, the setup, history and
 * wall time come from the checkpoint (see fromCheckpoint). Exit codes as `aae`: 0 done,
 * 2 bad options, 1 failure, 130 interrupted (checkpoint saved).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { intOption, numberOption, lrScheduleFor } from './main';
import { PRESET_NAMES, LABELED_SOURCES, MAX_LABELED_SHIFT, makeConfig, type AAEConfig, type PresetName, type LabeledSource } from '../models/config';
import { PRIOR_NAMES, type PriorName } from '../priors';
import { initBackend } from '../backend';
import { createExperiment, resumeExperiment, type Experiment } from '../experiment';
import { CHECKPOINT_FILE, loadCheckpoint, writeFileAtomic, type LoadedCheckpoint } from '../train/checkpoint';
import { trainWithCheckpoints } from '../train/with-checkpoints';
import { DivergenceError, type EpochMetrics } from '../train/trainer';
import { loadMnist } from '../data/mnist';
import { priorMatch } from '../eval/metrics';
import {
  classifyResultName,
  clusterResultName,
  type ClusterResult,
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
  lrDrop?: number;
  hidden?: number;
  batchSize?: number;
  trainSize?: number;
  evalSize?: number;
  results: string;
  runs: string;
  backend?: string;
  force: boolean;
  resume: boolean;
  /** A checkpoint to measure instead of training (--from). */
  from?: string;
  /** The split the run's settings were chosen on, recorded in its result file. */
  chosenOn: 'validation' | 'test';
  /** The options given on the command line (long names), to reject those --from does not use. */
  given: string[];
}

interface ClassifyOpts extends TrainOpts {
  labels: number;
  labeledFrom: LabeledSource;
  labeledNoise?: number;
  labeledShift?: number;
  n_z?: number;
}

interface ClusterOpts extends TrainOpts {
  clusters: number;
  n_z?: number;
}

interface PriorMatchOpts extends TrainOpts {
  prior: PriorName;
  maxSamples: number;
}

function trainingOptions(cmd: Command, defaultPreset: PresetName): Command {
  return cmd
    .addOption(new Option('--seed <n>', 'random seed (weights, training order, labeled subset)').argParser(intOption('--seed', 0, 2 ** 31 - 1)).default(0))
    .addOption(new Option('--preset <name>', 'hyper-parameter preset').choices(PRESET_NAMES).default(defaultPreset))
    .addOption(new Option('--epochs <n>', "training epochs (default: the preset's)").argParser(intOption('--epochs', 1, 100000)))
    .addOption(new Option('--lr-drop <epoch>', "epoch from which the learning rate drops to the preset's next one, 1e-4 (paper-sgd: its rates / 10) (default: the preset's: paper and paper-sgd 50, fast 8, original 51)").argParser(intOption('--lr-drop', 1, 100000)))
    .addOption(new Option('--hidden <n>', "units per hidden layer (default: the preset's)").argParser(intOption('--hidden', 1, 20000)))
    .addOption(new Option('--batch-size <n>', "batch size (default: the preset's)").argParser(intOption('--batch-size', 1, 5000)))
    .addOption(new Option('--train-size <n>', 'use only the first N training images (quick runs)').argParser(intOption('--train-size', 1, 55000)))
    .addOption(new Option('--eval-size <n>', 'test images for the per-epoch curve (the final numbers always use all 10,000)').argParser(intOption('--eval-size', 1, 10000)))
    .addOption(new Option('--results <dir>', 'folder of the result files').default('results'))
    .addOption(new Option('--runs <dir>', 'folder of the checkpoints').default('runs'))
    .addOption(new Option('--backend <name>', 'tfjs backend (default: fastest available; env AAE_BACKEND)'))
    .addOption(new Option('--force', 'overwrite an earlier result').default(false))
    .addOption(new Option('--resume', 'continue an interrupted run from its checkpoint').default(false))
    .addOption(
      new Option('--chosen-on <split>', "the split this run's settings were chosen on, recorded in its result file (screening reads val_error; choose on test only to say so)")
        .choices(['validation', 'test'])
        .default('validation'),
    );
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
    .addOption(new Option('--labeled-noise <std>', 'std of the Gaussian input noise on the labeled batches (default 0: clean, as the original)').argParser(numberOption('--labeled-noise', 0, 10)))
    .addOption(new Option('--labeled-shift <px>', 'largest random translation (pixels per axis) of the labeled images (default 0: unmoved, as the original)').argParser(intOption('--labeled-shift', 0, MAX_LABELED_SHIFT)))
    .addOption(new Option('--from <checkpoint>', 'measure a trained semi-supervised model (e.g. notebooks/runs/full/classify-N100-z10-ln0.5-ls2-seed0/checkpoint.aae) instead of training one'))
    .exitOverride()
    .action((opts, cmd: Command) => run('classify', { ...opts, given: givenOptions(cmd) }));
  trainingOptions(
    p.command('cluster').description('train the unsupervised clustering AAE with K clusters (no labels) and write its test error, curve and wall time'),
    'paper',
  )
    .addOption(new Option('--clusters <k>', 'clusters: the width of the categorical head (the AAE paper: 16 or 30)').argParser(intOption('--clusters', 2, 1000)).default(16))
    .addOption(new Option('--n_z <n>', "style dimensions (default: the preset's)").argParser(intOption('--n_z', 1, 1000)))
    .exitOverride()
    .action((opts, cmd: Command) => run('cluster', { ...opts, given: givenOptions(cmd) }));
  trainingOptions(
    p.command('prior-match').description('MMD and mode accuracy of the supervised AAE (n_z 2) codes of the test set against the prior'),
    'fast',
  )
    .addOption(new Option('--prior <name>', 'target prior').choices(PRIOR_NAMES).makeOptionMandatory())
    .addOption(new Option('--from <checkpoint>', 'measure a trained supervised model (e.g. notebooks/runs/full/supervised-<prior>-z2/checkpoint.aae) instead of training one'))
    .addOption(new Option('--max-samples <n>', 'codes and prior samples used by the MMD estimate (seeded subsample)').argParser(intOption('--max-samples', 2, 10000)).default(2000))
    .exitOverride()
    .action((opts, cmd: Command) => run('prior-match', { ...opts, given: givenOptions(cmd) }));
  p.command('table')
    .description('print the Markdown result tables (mean ± sample std over seeds) built from the result files')
    .addOption(new Option('--results <dir>', 'folder of the result files').default('results'))
    .exitOverride()
    .action((opts) => run('table', opts));
  return p;
}

/** Long names of the options given on the command line (not defaults). */
function givenOptions(cmd: Command): string[] {
  return cmd.options.filter((o) => cmd.getOptionValueSource(o.attributeName()) === 'cli').map((o) => o.long as string);
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
  try {
    const outcome = await trainWithCheckpoints(exp, ckpt, {
      epochs: exp.config.epochs,
      signal: ctrl.signal,
      evalSize: o.evalSize,
      meta: () => ({ command: 'aae-results', preset: o.preset }),
      afterSave: () => record(exp, wall(), false),
      callbacks: [
        {
          onEpochEnd(m: EpochMetrics) {
            const pct = (k: string) => (m[k] === undefined ? '' : `  ${k} ${(100 * m[k]).toFixed(2)}%`);
            const err = pct('val_error') + pct('test_error');
            console.log(`epoch ${m.epoch + 1}/${exp.config.epochs}  lr ${m.lr}  test_reconstruction ${m.test_reconstruction.toFixed(4)}${err}  (${m.seconds.toFixed(1)} s)`);
          },
        },
      ],
    });
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
    chosenOn: o.chosenOn,
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
      {
        ...overrides,
        seed: o.seed,
        epochs: o.epochs,
        lrSchedule: lrScheduleFor(o.preset, o.lrDrop, o.epochs),
        nHidden: o.hidden,
        batchSize: o.batchSize,
        trainSize: o.trainSize,
      },
      o.preset,
    );
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The options that set up training; with --from the model is measured as its checkpoint holds it. */
const TRAINING_OPTIONS = ['--preset', '--epochs', '--lr-drop', '--hidden', '--batch-size', '--train-size', '--eval-size', '--runs', '--resume', '--labels', '--labeled-from', '--labeled-noise', '--labeled-shift', '--n_z'];

function rejectTrainingOptions(o: TrainOpts): void {
  const bad = o.given.filter((g) => TRAINING_OPTIONS.includes(g));
  if (bad.length) {
    throw new UsageError(`--from measures the checkpoint's model as it was trained; ${bad.join(', ')} ${bad.length === 1 ? 'does' : 'do'} not apply`);
  }
}

function isAaeLabCheckout(dir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'aae-lab';
  } catch {
    return false;
  }
}

/**
 * A checkpoint's path as a result file names it: relative to the aae-lab checkout that holds it
 * (e.g. notebooks/runs/full/classify-N100-z10-ln0.5-ls2-seed0/checkpoint.aae, whichever checkout measured
 * it), or absolute when no checkout holds it.
 */
export function checkpointSource(file: string): string {
  const abs = path.resolve(file);
  for (let dir = path.dirname(abs); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (isAaeLabCheckout(dir)) return path.relative(dir, abs).split(path.sep).join('/');
  }
  return abs;
}

function canonical(cfg: AAEConfig): string {
  const c = cfg as unknown as Record<string, unknown>;
  return JSON.stringify(Object.keys(c).sort().map((k) => [k, c[k]]));
}

/**
 * The preset a checkpoint's config was made from: the one its metadata names (aae-results writes
 * it), else the only preset that gives exactly this config once the fields the result commands set
 * (model, prior, n_z, sizes, labels, seed, epochs) are taken over; null when none does (e.g. a
 * changed learning-rate schedule).
 */
export function presetOf(cfg: AAEConfig, meta: Record<string, unknown> = {}): PresetName | null {
  if ((PRESET_NAMES as readonly unknown[]).includes(meta.preset)) return meta.preset as PresetName;
  const { model, prior, nZ, nHidden, epochs, batchSize, trainSize, nLabeled, labeledFrom, labeledNoiseStd, labeledShift, seed } = cfg;
  const target = canonical(cfg);
  const matches = PRESET_NAMES.filter((p) => {
    try {
      return canonical(makeConfig({ model, prior, nZ, nHidden, epochs, batchSize, trainSize, nLabeled, labeledFrom, labeledNoiseStd, labeledShift, seed }, p)) === target;
    } catch {
      return false;
    }
  });
  return matches.length === 1 ? matches[0] : null;
}

/**
 * --from: refuses to replace a complete result or another run's record without --force. An
 * incomplete result of the same checkpoint (measured before its training had finished) is replaced.
 */
function checkExistingFrom(file: string, source: string, force: boolean): void {
  if (force || !fs.existsSync(file)) return;
  let old: (RunInfo & { source?: string }) | null = null;
  try {
    old = JSON.parse(fs.readFileSync(file, 'utf8')) as RunInfo & { source?: string };
  } catch {
    // an unreadable file is another run's as far as we know
  }
  if (old && !old.complete && old.source === source) return;
  throw new UsageError(
    old?.complete
      ? `${file} already holds a complete result; use --force to replace it`
      : `${file} holds an unfinished run (${old?.source ?? 'unreadable file'}); use --force to replace it with this checkpoint's result`,
  );
}

interface FromCheckpoint {
  ck: LoadedCheckpoint;
  /** The checkpoint's path relative to its checkout (see checkpointSource). */
  source: string;
  info: RunInfo;
}

/**
 * Loads a model trained elsewhere (a notebook, `aae`, an earlier result run) with the run record its
 * checkpoint holds: history = the trainer's per-epoch rows, epochs = epochs trained, wallSeconds =
 * the sum of their seconds (over every session), complete = the trainer finished its configured
 * epochs. The caller disposes ck.model.
 */
function fromCheckpoint(file: string, expect: Parameters<typeof loadCheckpoint>[1], seed: number | null, backend: string, chosenOn: TrainOpts['chosenOn']): FromCheckpoint {
  let ck: LoadedCheckpoint;
  try {
    ck = loadCheckpoint(file, expect);
  } catch (e) {
    throw new UsageError(`--from: ${(e as Error).message}`);
  }
  const t = ck.trainer;
  const history = t?.history ?? [];
  const complete = t !== null && t.batch === 0 && t.epoch >= ck.config.epochs;
  if (!complete) {
    console.error(
      t
        ? `note: ${file} stopped at epoch ${t.epoch}${t.batch ? `, batch ${t.batch}` : ''} of ${ck.config.epochs}: the result is marked incomplete (the table leaves it out); measure it again when training has finished`
        : `note: ${file} holds no trainer state: the result is marked incomplete (the table leaves it out)`,
    );
  }
  return {
    ck,
    source: checkpointSource(file),
    info: {
      seed: seed ?? ck.config.seed,
      preset: presetOf(ck.config, ck.meta),
      epochs: history.length,
      config: ck.config,
      history,
      wallSeconds: history.reduce((s, h) => s + h.seconds, 0),
      backend,
      versions: versions(),
      date: new Date().toISOString(),
      chosenOn,
      complete,
    },
  };
}

async function classifyFrom(o: ClassifyOpts & { from: string }, backend: string): Promise<number> {
  rejectTrainingOptions(o);
  const { ck, source, info } = fromCheckpoint(o.from, { model: 'semi_supervised' }, null, backend, o.chosenOn);
  try {
    if (o.given.includes('--seed') && o.seed !== ck.config.seed) {
      throw new UsageError(`--seed ${o.seed}: the model of ${o.from} was trained with seed ${ck.config.seed} (leave --seed out)`);
    }
    const file = path.join(o.results, classifyResultName(ck.config.nLabeled, ck.config.epochs, ck.config.seed, ck.config));
    checkExistingFrom(file, source, o.force);
    const testError = ck.model.evaluate(loadMnist().test).classError as number;
    const out: ClassifyResult = { kind: 'semi-supervised-classification', labels: ck.config.nLabeled, source, ...info, testError };
    writeJson(file, out);
    console.log(
      `test error ${(100 * testError).toFixed(2)}% with ${ck.config.nLabeled} labels (seed ${ck.config.seed}, ${info.epochs} epochs` +
        `${info.complete ? '' : ', incomplete'}); wrote ${file}`,
    );
    return 0;
  } finally {
    ck.model.dispose();
  }
}

async function classify(o: ClassifyOpts, backend: string): Promise<number> {
  if (o.from !== undefined) return classifyFrom({ ...o, from: o.from }, backend);
  const cfg = configFor(o, { model: 'semi_supervised', nLabeled: o.labels, labeledFrom: o.labeledFrom, labeledNoiseStd: o.labeledNoise, labeledShift: o.labeledShift, nZ: o.n_z });
  if (cfg.labeledFrom === 'balanced' && cfg.trainSize > 0 && cfg.nLabeled > cfg.trainSize) {
    throw new UsageError(`--labels ${cfg.nLabeled} is larger than --train-size ${cfg.trainSize}`);
  }
  const name = classifyResultName(cfg.nLabeled, cfg.epochs, cfg.seed, cfg);
  const file = path.join(o.results, name);
  const ckpt = path.join(o.runs, name.replace(/\.json$/, ''), CHECKPOINT_FILE);
  const earlier = checkExisting(file, ckpt, o);
  const result = (exp: Experiment, wallSeconds: number, complete: boolean, testError: number | null): ClassifyResult => ({
    kind: 'semi-supervised-classification',
    labels: exp.config.nLabeled,
    source: 'trained',
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

async function cluster(o: ClusterOpts, backend: string): Promise<number> {
  const cfg = configFor(o, { model: 'clustering', clusters: o.clusters, nZ: o.n_z });
  const name = clusterResultName(cfg.clusters, cfg.nZ, cfg.epochs, cfg.seed);
  const file = path.join(o.results, name);
  const ckpt = path.join(o.runs, name.replace(/\.json$/, ''), CHECKPOINT_FILE);
  const earlier = checkExisting(file, ckpt, o);
  const result = (exp: Experiment, wallSeconds: number, complete: boolean, labels: Uint8Array | null, testError: number | null): ClusterResult => ({
    kind: 'clustering',
    clusters: exp.config.clusters,
    source: 'trained',
    ...runInfo(exp, o, backend, wallSeconds, complete),
    clusterLabels: labels ? Array.from(labels) : null,
    testError,
  });
  const t = await trainRecorded(cfg, o, ckpt, earlier, (exp, w, c) => writeJson(file, result(exp, w, c, null, null)));
  if (t.outcome === 'interrupted') {
    console.error(`interrupted: checkpoint ${ckpt}; continue with the same command plus --resume`);
    return 130;
  }
  const labels = t.exp.trainer.clusterLabels() as Uint8Array;
  const testError = t.exp.trainer.evaluateTest(undefined, labels).test_error as number;
  writeJson(file, result(t.exp, t.wallSeconds, true, labels, testError));
  const used = new Set(labels).size;
  console.log(`test error ${(100 * testError).toFixed(2)}% with ${cfg.clusters} clusters (labeled as ${used} distinct digits; seed ${cfg.seed}); wrote ${file}`);
  return 0;
}

async function priorMatchCommand(o: PriorMatchOpts, backend: string): Promise<number> {
  if (o.from !== undefined) {
    rejectTrainingOptions(o);
    const source = checkpointSource(o.from);
    const { ck, info } = fromCheckpoint(o.from, { model: 'supervised', prior: o.prior }, o.seed, backend, o.chosenOn);
    try {
      const file = path.join(o.results, priorMatchResultName(o.prior, ck.config.epochs, o.seed));
      checkExistingFrom(file, source, o.force);
      const m = priorMatch(ck.model, loadMnist().test, o.prior, o.seed, { maxSamples: o.maxSamples });
      const out: PriorMatchResult = { kind: 'prior-match', source, ...m, ...info };
      writeJson(file, out);
      console.log(`${o.prior}: MMD² ${m.mmd2.toExponential(3)}, mode accuracy ${m.modeAccuracy === null ? '-' : (100 * m.modeAccuracy).toFixed(1) + '%'}; wrote ${file}`);
      return 0;
    } finally {
      ck.model.dispose();
    }
  }
  const cfg = configFor(o, { model: 'supervised', prior: o.prior, nZ: 2 });
  const file = path.join(o.results, priorMatchResultName(o.prior, cfg.epochs, o.seed));
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
    console.error('aae-results: name a command: classify, cluster, prior-match or table (see --help)');
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
    if (c.name === 'cluster') return await cluster(c.opts as ClusterOpts, backend);
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
