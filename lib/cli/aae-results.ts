/**
 * `aae-results`: the runs behind the README's result tables.
 *   aae-results classify --labels N --seed S    train the semi-supervised AAE (preset paper), write
 *                                               results/semi-supervised-N<N>-e<epochs>-seed<S>.json
 *   aae-results classify --from <checkpoint>    the same result file for a model trained elsewhere
 *                                               (e.g. by notebook 05), measured on the 10,000 test images
 *   aae-results prior-match --prior P --seed S  train the supervised AAE at n_z 2 (or --from a
 *                                               checkpoint), write results/prior-match-<P>-z<n_z>-e<epochs>-seed<S>.json
 *   aae-results table                           Markdown tables (mean ± std over seeds) from results/*.json
 * Training runs checkpoint every epoch to runs/<result name>/ and rewrite their result file (complete:
 * false) after every epoch; --resume continues an interrupted run. With --from, the setup, history and
 * wall time come from the checkpoint (see fromCheckpoint). Exit codes as `aae`: 0 done, 1 failure
 * with a file or the machine (a damaged or missing checkpoint or result file, a full disk,
 * divergence), 2 bad options or usage (including a result file or run folder locked by another run),
 * 130 interrupted (checkpoint saved). A run locks its result file (.<name>.lock beside it) and, when
 * training, its run folder (.aae.lock) for its life.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { UsageError, addSettings, givenOptions, rejectRepeatedOptions } from './common';
import { RunContext, drive, fileInTheWay, runCommand, startBackend, summaryLine, versions } from './run';
import { resolveConfig, resumeConfig } from './run-config';
import { CHECKPOINT_FILE, CheckpointError, loadCheckpoint, readCheckpoint, writeFileAtomic, type LoadedCheckpoint } from '../train/checkpoint';
import { PRESET_NAMES, makeConfig, type AAEConfig, type PresetName, type LabeledSource } from '../models/config';
import type { PriorName } from '../priors';
import { createExperiment, prepareData, resumeExperiment, type Experiment } from '../train/setup';
import { Trainer } from '../train/trainer';
import { loadDataset } from '../data/sources';
import { priorMatch } from '../eval/metrics';
import { ConfigError } from '../errors';
import { SETTINGS, optionName, type CommandName, type SettingValues } from '../settings/table';
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

/** A result file that cannot be read: exit 1. */
class ResultFileError extends CheckpointError {
  constructor(message: string) {
    super(message);
    this.name = 'ResultFileError';
  }
}

function readResultFile(file: string): RunInfo & { source?: string } {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8')) as RunInfo & { source?: string };
    if (r === null || typeof r !== 'object') throw new Error('not a JSON object');
    return r;
  } catch (e) {
    throw new ResultFileError(`${file} is not a readable result file (${(e as Error).message}); move it away, or use --force to replace it`);
  }
}

interface TrainOpts extends SettingValues {
  seed: number;
  preset: PresetName;
  epochs?: number;
  evalSize?: number;
  results: string;
  runs: string;
  backend?: string;
  force: boolean;
  resume: boolean;
  progress: boolean;
  /** A checkpoint to measure instead of training (--from). */
  from?: string;
  /** The split the run's settings were chosen on, recorded in its result file. */
  chosenOn: 'validation' | 'test';
  /** Whether an option (a key of the settings table) was given on the command line. */
  given: (key: string) => boolean;
}

interface ClassifyOpts extends TrainOpts {
  labels: number;
  labeledFrom: LabeledSource;
}

interface ClusterOpts extends TrainOpts {
  clusters: number;
}

interface PriorMatchOpts extends TrainOpts {
  prior: PriorName;
  maxSamples: number;
}

const DESCRIPTIONS: Record<Exclude<CommandName, 'aae'>, string> = {
  classify: 'train the semi-supervised AAE with N labels and write its test error, curve and wall time',
  cluster: 'train the unsupervised clustering AAE with K clusters (no labels) and write its test error, curve and wall time',
  'prior-match': 'MMD and mode accuracy of the supervised AAE (n_z 2) codes of the test set against the prior',
};

export function buildResultsProgram(run: (name: string, opts: unknown) => void): Command {
  const p = new Command('aae-results')
    .description('Result runs: semi-supervised classification error, clustering, prior matching, and their tables')
    .exitOverride()
    .showHelpAfterError('(add --help for the options)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const name of ['classify', 'cluster', 'prior-match'] as const) {
    const cmd = p.command(name).description(DESCRIPTIONS[name]);
    addSettings(cmd, name)
      .exitOverride()
      .action((opts, c: Command) => run(name, { ...opts, given: givenOptions(c) }));
  }
  p.command('table')
    .description('print the Markdown result tables (mean ± sample std over seeds) built from the result files')
    .addOption(new Option('--results <dir>', 'folder of the result files').default('results'))
    .exitOverride()
    .action((opts) => run('table', opts));
  return p;
}

/** Where a training run starts: fresh, or from a checkpoint with the wall time already spent. */
interface Start {
  /** Seconds spent before (a resumed or continued run's), added to this session's. */
  earlierSeconds: number;
  /** The checkpoint to resume from: this run's own, a shorter run's, or null (a fresh start). */
  from: string | null;
  /** The result name of the shorter run this one continues (--resume with a larger --epochs). */
  continues: string | null;
}

/**
 * The run with the same settings but fewer epochs (the most, if several) that has a checkpoint in
 * --runs: a folder whose name is this run's name for some smaller -e<epochs>. Null when there is none.
 */
function shorterRun(runs: string, nameFor: (epochs: number) => string, epochs: number): { name: string; epochs: number } | null {
  if (!fs.existsSync(runs)) return null;
  let best: { name: string; epochs: number } | null = null;
  for (const name of fs.readdirSync(runs)) {
    for (const [, digits] of name.matchAll(/-e(\d+)-/g)) {
      const e = Number(digits);
      if (e < epochs && (!best || e > best.epochs) && path.basename(nameFor(e), '.json') === name && fs.existsSync(path.join(runs, name, CHECKPOINT_FILE))) best = { name, epochs: e };
    }
  }
  return best;
}

/** The seconds of a history's epochs (training and evaluation, wherever they ran). */
function epochSeconds(history: readonly { seconds: number }[]): number {
  return history.reduce((sum, h) => sum + h.seconds, 0);
}

/** A shorter run's wall time: from its result file, else the sum of its checkpoint's epoch seconds. */
function secondsSpent(resultFile: string, ckpt: string): number {
  try {
    const spent = (JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Partial<RunInfo>).wallSeconds;
    if (typeof spent === 'number') return spent;
  } catch {
    // no readable result file: the checkpoint's history says how long its epochs took
  }
  return epochSeconds(readCheckpoint(ckpt).header.trainer?.history ?? []);
}

/**
 * Refuses to overwrite a result, or a checkpoint in the run folder, unless --force or --resume.
 * --resume continues this run's checkpoint; without one, and with --epochs given, it continues the
 * same run with fewer epochs (shorterRun):
 * the learning-rate schedule counts epochs from the start, so a run continued from 30 to 40 epochs
 * ends as one started for 40. The shorter run's folder and result stay as they are.
 */
function checkExisting(file: string, ckpt: string, o: TrainOpts, nameFor: (epochs: number) => string, epochs: number): Start {
  if (o.force && o.resume) throw new UsageError('--resume and --force exclude each other');
  if (o.force && !o.resume) return { earlierSeconds: 0, from: null, continues: null };
  const old = fs.existsSync(file) ? readResultFile(file) : null;
  if (o.resume) {
    if (!fs.existsSync(ckpt)) {
      const shorter = old ? null : shorterRun(o.runs, nameFor, epochs);
      if (!shorter) throw new UsageError(`--resume: no checkpoint ${ckpt} to continue from`);
      const dir = path.join(o.runs, shorter.name);
      if (!o.given('epochs')) {
        throw new UsageError(`--resume: no checkpoint ${ckpt}; ${dir} holds this run for ${shorter.epochs} epochs: give --epochs ${shorter.epochs} to continue it, or more to train it longer`);
      }
      const from = path.join(dir, CHECKPOINT_FILE);
      return { earlierSeconds: secondsSpent(path.join(path.dirname(file), `${shorter.name}.json`), from), from, continues: shorter.name };
    }
    if (old?.complete) throw new UsageError(`--resume: ${file} is already complete; use --force to run it again`);
    return { earlierSeconds: old && !old.complete ? old.wallSeconds : 0, from: ckpt, continues: null };
  }
  if (old && !o.force) {
    throw new UsageError(old.complete ? `${file} already holds a complete result; use --force to run it again` : `${file} holds an interrupted run; continue it with --resume or restart with --force`);
  }
  if (fs.existsSync(ckpt)) {
    // the same run with its result file elsewhere (another --results) or gone: training would replace its checkpoint
    throw new UsageError(`${ckpt} already holds a checkpoint of this run; continue it with --resume, restart it with --force, or give another --runs`);
  }
  return { earlierSeconds: 0, from: null, continues: null };
}

interface Trained {
  exp: Experiment;
  wallSeconds: number;
}

/**
 * Trains (or resumes) a result run with the shared driver: its run folder locked, a checkpoint and
 * a progress record after every epoch. Returns the exit code when it did not complete.
 */
async function trainRecorded(
  run: RunContext,
  command: CommandName,
  cfg: AAEConfig,
  o: TrainOpts,
  ckpt: string,
  start: Start,
  record: (exp: Experiment, wallSeconds: number, complete: boolean) => void,
): Promise<Trained | number> {
  run.lockFolder(path.dirname(ckpt));
  const from = start.from;
  let exp: Experiment;
  if (from === null) {
    exp = createExperiment(cfg);
  } else {
    // a shorter run's folder is locked while its checkpoint is read (it may be training)
    const shorter = start.continues === null ? null : run.lockFolder(path.dirname(from));
    resumeConfig(command, from, o, o.given);
    exp = resumeExperiment(from, { model: cfg.model, prior: cfg.prior }, undefined, o.epochs);
    shorter?.release();
    if (start.continues !== null) {
      const t = exp.trainer.state;
      console.error(
        `note: continuing ${path.dirname(from)} (${t.epoch} epochs${t.batch ? ` and ${t.batch} batches` : ''} trained) to ${exp.config.epochs} epochs in ${path.dirname(ckpt)}; ${path.dirname(from)} stays as it is`,
      );
    }
  }
  const started = Date.now();
  const wall = () => start.earlierSeconds + (Date.now() - started) / 1000;
  const outcome = await drive(run, exp, ckpt, {
    epochs: exp.config.epochs,
    evalSize: o.evalSize,
    progress: o.progress,
    meta: () => ({ command: 'aae-results', preset: o.preset }),
    afterSave: () => record(exp, wall(), false),
    resumedFrom: from ?? undefined,
  });
  if (outcome !== 'completed') {
    exp.model.dispose();
    return outcome;
  }
  return { exp, wallSeconds: wall() };
}

function runInfo(exp: Experiment, o: TrainOpts, backend: string, wallSeconds: number, complete: boolean, start: Start): RunInfo {
  return {
    ...(start.continues === null ? {} : { continues: start.continues }),
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

/** The options that set up training (the settings table's training rows): --from measures the model as its checkpoint holds it. */
function rejectTrainingOptions(o: TrainOpts): void {
  const bad = SETTINGS.filter((s) => s.training && o.given(s.key)).map(optionName);
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
  return JSON.stringify(
    Object.keys(c)
      .sort()
      .map((k) => [k, c[k]]),
  );
}

/**
 * The preset a checkpoint's config was made from: the one its metadata names (aae-results writes
 * it), else the only preset that gives exactly this config once the fields the result commands set
 * (model, prior, n_z, sizes, labels, seed, epochs) are taken over; null when none does (e.g. a
 * changed learning-rate schedule).
 */
export function presetOf(cfg: AAEConfig, meta: Record<string, unknown> = {}): PresetName | null {
  if ((PRESET_NAMES as readonly unknown[]).includes(meta.preset)) return meta.preset as PresetName;
  const { model, prior, nZ, nHidden, epochs, batchSize, trainSize, nLabeled, labeledFrom, labeledNoiseStd, labeledShift, evalEvery, seed } = cfg;
  const target = canonical(cfg);
  const matches = PRESET_NAMES.filter((p) => {
    try {
      return canonical(makeConfig({ model, prior, nZ, nHidden, epochs, batchSize, trainSize, nLabeled, labeledFrom, labeledNoiseStd, labeledShift, evalEvery, seed }, p)) === target;
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
 * epochs. Refuses the options that set up training and a --seed other than the model's. The
 * caller disposes ck.model.
 */
function fromCheckpoint(o: TrainOpts & { from: string }, expect: Parameters<typeof loadCheckpoint>[1], backend: string): FromCheckpoint {
  rejectTrainingOptions(o);
  const file = o.from;
  let ck: LoadedCheckpoint;
  // A damaged or missing file is a failure (exit 1); a model of another kind than the command
  // measures is a bad --from (exit 2).
  try {
    readCheckpoint(file);
  } catch (e) {
    if (e instanceof CheckpointError) throw new CheckpointError(`--from: ${e.message}`);
    throw e;
  }
  try {
    ck = loadCheckpoint(file, expect);
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof ConfigError) throw new UsageError(`--from: ${(e as Error).message}`);
    throw e;
  }
  if (o.given('seed') && o.seed !== ck.config.seed) {
    ck.model.dispose();
    throw new UsageError(`--seed ${o.seed}: the model of ${file} was trained with seed ${ck.config.seed} (leave --seed out)`);
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
      seed: ck.config.seed,
      preset: presetOf(ck.config, ck.meta),
      epochs: history.length,
      config: ck.config,
      history,
      wallSeconds: epochSeconds(history),
      backend,
      versions: versions(),
      date: new Date().toISOString(),
      chosenOn: o.chosenOn,
      complete,
    },
  };
}

/** The run folder of a result file: <runs>/<its name>/checkpoint.aae. */
function checkpointOf(o: TrainOpts, file: string): string {
  return path.join(o.runs, path.basename(file, '.json'), CHECKPOINT_FILE);
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

async function classifyFrom(run: RunContext, o: ClassifyOpts & { from: string }, backend: string): Promise<number> {
  const { ck, source, info } = fromCheckpoint(o, { model: 'semi_supervised' }, backend);
  try {
    const file = path.join(o.results, classifyResultName(ck.config.nLabeled, ck.config.epochs, ck.config.seed, ck.config, presetOf(ck.config, ck.meta)));
    run.lockFile(file);
    checkExistingFrom(file, source, o.force);
    const test = loadDataset(ck.config.dataset).test;
    const testError = ck.model.withAveragedWeights(() => ck.model.evaluate(test)).classError as number;
    const out: ClassifyResult = { kind: 'semi-supervised-classification', labels: ck.config.nLabeled, source, ...info, testError };
    run.wroteResults = true;
    writeJson(file, out);
    console.log(`test error ${percent(testError)} with ${ck.config.nLabeled} labels (seed ${ck.config.seed}, ${info.epochs} epochs${info.complete ? '' : ', incomplete'}); wrote ${file}`);
    console.log(summaryLine(`measured the semi-supervised AAE of ${o.from}`, `test error ${percent(testError)}`, info.wallSeconds, path.dirname(file)));
    return 0;
  } finally {
    ck.model.dispose();
  }
}

async function classify(run: RunContext, o: ClassifyOpts, backend: string): Promise<number> {
  if (o.from !== undefined) return classifyFrom(run, { ...o, from: o.from }, backend);
  const cfg = resolveConfig('classify', o);
  const nameFor = (epochs: number) => classifyResultName(cfg.nLabeled, epochs, cfg.seed, cfg, o.preset);
  const file = path.join(o.results, nameFor(cfg.epochs));
  const ckpt = checkpointOf(o, file);
  run.lockFile(file);
  const start = checkExisting(file, ckpt, o, nameFor, cfg.epochs);
  const result = (exp: Experiment, wallSeconds: number, complete: boolean, testError: number | null): ClassifyResult => ({
    kind: 'semi-supervised-classification',
    labels: exp.config.nLabeled,
    source: 'trained',
    ...runInfo(exp, o, backend, wallSeconds, complete, start),
    testError,
  });
  const t = await trainRecorded(run, 'classify', cfg, o, ckpt, start, (exp, w, c) => writeJson(file, result(exp, w, c, null)));
  if (typeof t === 'number') return t;
  try {
    const last = t.exp.trainer.history.at(-1);
    const full = o.evalSize === undefined || o.evalSize >= t.exp.data.test.count;
    const testError = full && last?.test_error !== undefined ? last.test_error : (t.exp.trainer.evaluateTest().test_error as number);
    writeJson(file, result(t.exp, t.wallSeconds, true, testError));
    console.log(`test error ${percent(testError)} with ${cfg.nLabeled} labels (seed ${cfg.seed}); wrote ${file}`);
    console.log(
      summaryLine(
        `trained the semi-supervised AAE (${cfg.nLabeled} labels, ${cfg.epochs} epochs, seed ${cfg.seed})`,
        `test error ${percent(testError)}`,
        t.wallSeconds,
        `${file}, ${path.dirname(ckpt)}`,
      ),
    );
    return 0;
  } finally {
    t.exp.model.dispose();
  }
}

/** The clustering model of a checkpoint, measured as training measures it: clusters labeled from the validation split, then the test error. */
async function clusterFrom(run: RunContext, o: ClusterOpts & { from: string }, backend: string): Promise<number> {
  const { ck, source, info } = fromCheckpoint(o, { model: 'clustering' }, backend);
  try {
    const cfg = ck.config;
    const file = path.join(o.results, clusterResultName(cfg.clusters, cfg.nZ, cfg.epochs, cfg.seed, cfg, presetOf(cfg, ck.meta)));
    run.lockFile(file);
    checkExistingFrom(file, source, o.force);
    // measured as training measures it (Trainer.clusterLabels, evaluateTest)
    const trainer = new Trainer(ck.model, prepareData(cfg));
    const labels = trainer.clusterLabels();
    if (!labels) throw new UsageError(`--from: the data set ${cfg.dataset} of ${o.from} has no labeled validation split to label the clusters with`);
    const testError = trainer.evaluateTest(undefined, labels).test_error;
    const out: ClusterResult = { kind: 'clustering', clusters: cfg.clusters, source, ...info, clusterLabels: Array.from(labels), testError };
    run.wroteResults = true;
    writeJson(file, out);
    console.log(
      `test error ${percent(testError)} with ${cfg.clusters} clusters (labeled as ${new Set(labels).size} distinct digits; seed ${cfg.seed}, ${info.epochs} epochs${info.complete ? '' : ', incomplete'}); wrote ${file}`,
    );
    console.log(summaryLine(`measured the clustering AAE of ${o.from}`, `test error ${percent(testError)}`, info.wallSeconds, path.dirname(file)));
    return 0;
  } finally {
    ck.model.dispose();
  }
}

async function cluster(run: RunContext, o: ClusterOpts, backend: string): Promise<number> {
  if (o.from !== undefined) return clusterFrom(run, { ...o, from: o.from }, backend);
  const cfg = resolveConfig('cluster', o);
  const nameFor = (epochs: number) => clusterResultName(cfg.clusters, cfg.nZ, epochs, cfg.seed, cfg, o.preset);
  const file = path.join(o.results, nameFor(cfg.epochs));
  const ckpt = checkpointOf(o, file);
  run.lockFile(file);
  const start = checkExisting(file, ckpt, o, nameFor, cfg.epochs);
  const result = (exp: Experiment, wallSeconds: number, complete: boolean, labels: Uint8Array | null, testError: number | null): ClusterResult => ({
    kind: 'clustering',
    clusters: exp.config.clusters,
    source: 'trained',
    ...runInfo(exp, o, backend, wallSeconds, complete, start),
    clusterLabels: labels ? Array.from(labels) : null,
    testError,
  });
  const t = await trainRecorded(run, 'cluster', cfg, o, ckpt, start, (exp, w, c) => writeJson(file, result(exp, w, c, null, null)));
  if (typeof t === 'number') return t;
  try {
    const labels = t.exp.trainer.clusterLabels() as Uint8Array;
    const testError = t.exp.trainer.evaluateTest(undefined, labels).test_error as number;
    writeJson(file, result(t.exp, t.wallSeconds, true, labels, testError));
    const used = new Set(labels).size;
    console.log(`test error ${percent(testError)} with ${cfg.clusters} clusters (labeled as ${used} distinct digits; seed ${cfg.seed}); wrote ${file}`);
    console.log(
      summaryLine(`trained the clustering AAE (${cfg.clusters} clusters, ${cfg.epochs} epochs, seed ${cfg.seed})`, `test error ${percent(testError)}`, t.wallSeconds, `${file}, ${path.dirname(ckpt)}`),
    );
    return 0;
  } finally {
    t.exp.model.dispose();
  }
}

function priorMatchText(m: ReturnType<typeof priorMatch>): string {
  return `MMD² ${m.mmd2.toExponential(3)}, mode accuracy ${m.modeAccuracy === null ? '-' : (100 * m.modeAccuracy).toFixed(1) + '%'}`;
}

async function priorMatchFrom(run: RunContext, o: PriorMatchOpts & { from: string }, backend: string): Promise<number> {
  const { ck, source, info } = fromCheckpoint(o, { model: 'supervised', prior: o.prior }, backend);
  try {
    const seed = ck.config.seed;
    const file = path.join(o.results, priorMatchResultName(o.prior, ck.config.epochs, seed, ck.config.nZ, ck.config, presetOf(ck.config, ck.meta)));
    run.lockFile(file);
    checkExistingFrom(file, source, o.force);
    const m = priorMatch(ck.model, loadDataset(ck.config.dataset).test, o.prior, seed, { maxSamples: o.maxSamples });
    const out: PriorMatchResult = { kind: 'prior-match', source, ...m, ...info };
    run.wroteResults = true;
    writeJson(file, out);
    console.log(`${o.prior}: ${priorMatchText(m)}; wrote ${file}`);
    console.log(summaryLine(`measured the supervised AAE of ${o.from}`, priorMatchText(m), info.wallSeconds, path.dirname(file)));
    return 0;
  } finally {
    ck.model.dispose();
  }
}

async function priorMatchCommand(run: RunContext, o: PriorMatchOpts, backend: string): Promise<number> {
  if (o.from !== undefined) return priorMatchFrom(run, { ...o, from: o.from }, backend);
  const cfg = resolveConfig('prior-match', o);
  const nameFor = (epochs: number) => priorMatchResultName(o.prior, epochs, o.seed, cfg.nZ, cfg, o.preset);
  const file = path.join(o.results, nameFor(cfg.epochs));
  const ckpt = checkpointOf(o, file);
  run.lockFile(file);
  const start = checkExisting(file, ckpt, o, nameFor, cfg.epochs);
  const record = (exp: Experiment, wallSeconds: number, complete: boolean, m: ReturnType<typeof priorMatch> | null) => ({
    kind: 'prior-match' as const,
    source: 'trained',
    ...(m ?? { prior: o.prior, nZ: 2, count: 0, mmd2: null, mmd: null, bandwidths: [], modeAccuracy: null }),
    ...runInfo(exp, o, backend, wallSeconds, complete, start),
  });
  const t = await trainRecorded(run, 'prior-match', cfg, o, ckpt, start, (exp, w, c) => writeJson(file, record(exp, w, c, null)));
  if (typeof t === 'number') return t;
  try {
    const m = priorMatch(t.exp.model, t.exp.data.test, o.prior, o.seed, { maxSamples: o.maxSamples });
    writeJson(file, record(t.exp, t.wallSeconds, true, m));
    console.log(`${o.prior}: ${priorMatchText(m)}; wrote ${file}`);
    console.log(summaryLine(`trained the supervised AAE (${o.prior}, n_z ${cfg.nZ}, ${cfg.epochs} epochs, seed ${o.seed})`, priorMatchText(m), t.wallSeconds, `${file}, ${path.dirname(ckpt)}`));
    return 0;
  } finally {
    t.exp.model.dispose();
  }
}

function table(dir: string): number {
  if (!fs.existsSync(dir)) throw new UsageError(`--results ${dir}: no such folder; valid: the folder of the result files (default results)`);
  const read = readResults(dir);
  for (const s of read.skipped) console.error(`skipped ${s.file}: ${s.reason}`);
  process.stdout.write(resultsMarkdown(read));
  return 0;
}

export async function resultsMain(argv: string[]): Promise<number> {
  let chosen: { name: string; opts: unknown } | null = null;
  try {
    const program = buildResultsProgram((name, opts) => {
      chosen = { name, opts };
    });
    for (const cmd of program.commands) rejectRepeatedOptions(cmd);
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === 'commander.helpDisplayed' || e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const c = chosen as { name: string; opts: unknown } | null;
  if (!c) {
    console.error('aae-results: name a command: classify, cluster, prior-match or table (see --help)');
    return 2;
  }
  return runCommand(`aae-results ${c.name}`, async (run) => {
    for (const opt of ['results', 'runs'] as const) {
      const v = (c.opts as Record<string, unknown>)[opt];
      if (typeof v !== 'string') continue;
      if (v.trim() === '') throw new UsageError(`--${opt} '${v}' is empty; valid: a folder path (default ${opt})`);
      const file = fileInTheWay(v);
      if (file !== null) {
        throw new UsageError(`--${opt} ${v}${file === path.resolve(v) ? '' : `: ${file}`} is a file, not a folder; valid: a folder path (default ${opt})`);
      }
    }
    if (c.name === 'table') return table((c.opts as { results: string }).results);
    const o = c.opts as TrainOpts;
    if (o.force && o.resume) throw new UsageError('--resume and --force exclude each other');
    const backend = await startBackend(o.backend, (o as { networks?: string }).networks);
    if (c.name === 'cluster') return cluster(run, o as ClusterOpts, backend);
    return c.name === 'classify' ? classify(run, o as ClassifyOpts, backend) : priorMatchCommand(run, o as PriorMatchOpts, backend);
  });
}
