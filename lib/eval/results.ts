/**
 * Result files of the reporting commands (results/*.json) and the tables built from them:
 *  - semi-supervised-N<labels>-e<epochs><variant>-seed<seed>.json: test classification error of one
 *    training run (<variant>: the settings table's name parts, see runVariant; empty for the original's settings);
 *  - clustering-K<clusters>-z<n_z>-e<epochs><variant>-seed<seed>.json: test error of one clustering run;
 *  - prior-match-<prior>-z<n_z>-e<epochs><variant>-seed<seed>.json: MMD and mode accuracy of one supervised
 *    model (files written before n_z was in the name, prior-match-<prior>-e<epochs>-seed<seed>.json,
 *    are read the same way: the table goes by the files' contents, not their names).
 * The aggregator groups runs that differ only in their seed and prints mean ± sample standard
 * deviation (n - 1) over the seeds next to the AAE paper's numbers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FIELDS_ADDED, PRESETS, hiddenText, type AAEConfig, type HiddenSizes, type LrStep, type PresetName } from '../models/config';
import { lrDropEpoch } from '../train/schedule';
import { ELASTIC_SIGMA } from '../data/batches';
import { COMMAND_PRESET, changedOptions, runVariant } from '../settings/table';
import type { EpochMetrics } from '../train/trainer';
import type { PriorMatch } from './metrics';
import { ConfigError } from '../errors';

export interface RunInfo {
  seed: number;
  /**
   * Preset the run started from; from a checkpoint (`--from`), the preset its config was made from
   * when that is known, else null.
   */
  preset: PresetName | null;
  /** Epochs trained (from a checkpoint: the rows of its history). */
  epochs: number;
  config: AAEConfig;
  history: EpochMetrics[];
  /**
   * Seconds from start to the file's writing (summed over resumed sessions); from a checkpoint, the
   * sum of its history's epoch seconds (the training time, wherever it ran).
   */
  wallSeconds: number;
  backend: string;
  versions: { node: string; tfjs: string; aaeLab: string };
  /** ISO date of writing. */
  date: string;
  /**
   * The split the run's settings were chosen on: 'validation' (the rule from now on: screening
   * reads val_error, the test set is scored once per final run) or 'test'. Files written before
   * this field existed were chosen by test error: read as 'test'.
   */
  chosenOn?: 'validation' | 'test';
  /**
   * The run (its result name) this one continued with more epochs (`--resume` with a larger
   * `--epochs`); its epochs are in the history and its time in wallSeconds. Absent otherwise.
   */
  continues?: string;
  /**
   * False while training is still going (the file is rewritten after every epoch); from a
   * checkpoint, false unless its trainer finished its configured epochs.
   */
  complete: boolean;
}

export interface ClassifyResult extends RunInfo {
  kind: 'semi-supervised-classification';
  labels: number;
  /**
   * 'trained' or the checkpoint the model came from, relative to its aae-lab checkout (absent in
   * files written before `classify --from` existed: trained).
   */
  source?: string;
  /** Error on the whole 10,000-image test set after the last epoch (null until complete). */
  testError: number | null;
}

export interface PriorMatchResult extends RunInfo, PriorMatch {
  kind: 'prior-match';
  /** 'trained' or the checkpoint the model came from, relative to its aae-lab checkout. */
  source: string;
}

/** The unsupervised clustering AAE: its K clusters labeled from the validation split, scored on the test set. */
export interface ClusterResult extends RunInfo {
  kind: 'clustering';
  clusters: number;
  /** 'trained' (clustering runs are trained by `aae-results cluster`). */
  source: string;
  /** The label of each cluster: that of the validation image the model is most confident belongs to it. */
  clusterLabels: number[] | null;
  /** Test error with those cluster labels, after the last epoch (null until complete). */
  testError: number | null;
}

export type ResultFile = ClassifyResult | PriorMatchResult | ClusterResult;

/**
 * The result file of a classification run: labels, epochs trained and seed name it (runs of other
 * lengths sit side by side). Runs with the original project's settings keep the plain name; the
 * settings table's name parts (runVariant: `-sgd` for SGD + momentum, `-ln<std>` noisy and `-ls<pixels>`
 * shifted labeled batches, ...) tell the others apart.
 */
export function classifyResultName(labels: number, epochs: number, seed: number, cfg: Partial<AAEConfig> = {}, preset?: PresetName | null): string {
  return `semi-supervised-N${labels}-e${epochs}${runVariant(cfg, preset, COMMAND_PRESET.classify)}-seed${seed}.json`;
}

export { runVariant };

/** A warp's turn and scaling as table text: ['turned ±15°', 'scaled ±0.1'] (the parts that are not 0). */
function warpText(rotate: number | undefined, scale: number | undefined): string[] {
  return [rotate ? `turned ±${rotate}°` : '', scale ? `scaled ±${scale}` : ''].filter(Boolean);
}

/** The categorical head's regularisers as a table cell: 'balance 10, consistency 10', or '-' (none: the paper's model). */
export function headRegularisersText(cfg: Partial<Pick<AAEConfig, 'headBalance' | 'headConsistency' | 'consistencyRotate' | 'consistencyScale'>>): string {
  const warp = warpText(cfg.consistencyRotate, cfg.consistencyScale);
  const consistency = cfg.headConsistency ? `consistency ${cfg.headConsistency}${warp.length ? ` (${warp.join(', ')})` : ''}` : '';
  const parts = [cfg.headBalance ? `balance ${cfg.headBalance}` : '', consistency].filter(Boolean);
  return parts.length ? parts.join(', ') : '-';
}

/** How the labeled batches were fed: 'clean' (the original), or their noise, random shift, turn and scaling. */
export function labeledBatchesText(cfg: Partial<Pick<AAEConfig, 'labeledNoiseStd' | 'labeledShift' | 'labeledRotate' | 'labeledScale' | 'labeledElastic' | 'labeledElasticSigma'>>): string {
  const elastic = cfg.labeledElastic ? `elastic ${cfg.labeledElastic} px (σ ${cfg.labeledElasticSigma ?? ELASTIC_SIGMA})` : '';
  const parts = [cfg.labeledNoiseStd ? `noise ${cfg.labeledNoiseStd}` : '', cfg.labeledShift ? `shift ±${cfg.labeledShift} px` : '', ...warpText(cfg.labeledRotate, cfg.labeledScale), elastic].filter(
    Boolean,
  );
  return parts.length ? parts.join(', ') : 'clean';
}

/** The result file of a clustering run: clusters, style dimensions, epochs and seed. */
export function clusterResultName(clusters: number, nZ: number, epochs: number, seed: number, cfg: Partial<AAEConfig> = {}, preset?: PresetName | null): string {
  return `clustering-K${clusters}-z${nZ}-e${epochs}${runVariant(cfg, preset, COMMAND_PRESET.cluster, ['n_z'])}-seed${seed}.json`;
}

/** The result file of a prior-match run: prior, n_z, epochs trained and seed name it. */
export function priorMatchResultName(prior: string, epochs: number, seed: number, nZ: number, cfg: Partial<AAEConfig> = {}, preset?: PresetName | null): string {
  return `prior-match-${prior}-z${nZ}-e${epochs}${runVariant(cfg, preset, COMMAND_PRESET['prior-match'], ['n_z'])}-seed${seed}.json`;
}

/** A number of labels as the tables and figures write it: "all" for the 55,000-label runs, else the count. */
export function labelCountText(n: number): string {
  return n === 55000 ? 'all' : n.toLocaleString('en-US');
}

/** The AAE paper's semi-supervised MNIST test errors (fractions), by number of labels. */
export const PAPER_ERRORS: Record<number, { mean: number; spread: number }> = {
  100: { mean: 0.019, spread: 0.001 },
  1000: { mean: 0.016, spread: 0.0008 },
  55000: { mean: 0.0085, spread: 0.0002 },
};

/** The AAE paper's unsupervised clustering test errors on MNIST (fractions), by number of clusters. */
export const PAPER_CLUSTER_ERRORS: Record<number, { mean: number; spread: number }> = {
  16: { mean: 0.0955, spread: 0.0205 },
  30: { mean: 0.041, spread: 0.0113 },
};

export interface Spread {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); null for a single run. */
  std: number | null;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  if (values.length === 0) throw new RangeError('spread: no values');
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : null;
  return { n, mean, std, min: Math.min(...values), max: Math.max(...values) };
}

export interface ReadResults {
  classification: ClassifyResult[];
  priorMatch: PriorMatchResult[];
  clustering: ClusterResult[];
  /** Files left out, with the reason (unreadable, unknown kind, not complete). */
  skipped: { file: string; reason: string }[];
}

/** Reads every *.json result file of a folder (not recursive). */
export function readResults(dir: string): ReadResults {
  const out: ReadResults = { classification: [], priorMatch: [], clustering: [], skipped: [] };
  if (!fs.existsSync(dir)) return out;
  if (!fs.statSync(dir).isDirectory()) throw new ConfigError(`readResults: ${dir} is a file, not a folder of result files`);
  for (const name of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const file = path.join(dir, name);
    let r: ResultFile;
    try {
      r = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultFile;
    } catch (e) {
      out.skipped.push({ file, reason: `not readable JSON: ${(e as Error).message}` });
      continue;
    }
    if (r === null || typeof r !== 'object' || !('kind' in r)) {
      out.skipped.push({ file, reason: 'not a result file (no kind)' });
    } else if (!r.complete) {
      out.skipped.push({ file, reason: 'run not complete' });
    } else if (r.kind === 'semi-supervised-classification' && typeof r.testError === 'number') {
      out.classification.push(r);
    } else if (r.kind === 'prior-match' && typeof r.mmd2 === 'number') {
      out.priorMatch.push(r);
    } else if (r.kind === 'clustering' && typeof r.testError === 'number') {
      out.clustering.push(r);
    } else {
      out.skipped.push({ file, reason: `unknown kind or missing value (${String((r as { kind?: unknown }).kind)})` });
    }
  }
  return out;
}

export type RunSource = 'trained' | 'checkpoint';

function sourceOf(r: { source?: string }): RunSource {
  return r.source === undefined || r.source === 'trained' ? 'trained' : 'checkpoint';
}

/**
 * What makes runs comparable (everything but the seed): where the model came from, the preset, the
 * epochs trained and the config without seed, as a key.
 */
function setupKey(r: RunInfo & { source?: string }, extra: unknown): string {
  // Files written before a config field existed group with runs that set it to its old value.
  const { seed: _seed, evalEvery: _evalEvery, ...rest } = { ...CONFIG_FIELDS_ADDED, ...r.config };
  return JSON.stringify([extra, sourceOf(r), r.preset, r.epochs, rest]);
}

function groupBy<T extends RunInfo>(runs: T[], key: (r: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const r of runs) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.values()];
}

export interface ClassificationRow {
  labels: number;
  source: RunSource;
  preset: PresetName | null;
  /** Epochs trained. */
  epochs: number;
  /** Epochs trained at the first learning rate before it drops (null: no drop within the run). */
  lrDrop: number | null;
  nHidden: HiddenSizes;
  /** Std of the input noise on the labeled batches (0: clean, as the original). */
  labeledNoise: number;
  /** Largest random translation of the labeled batches, pixels (0: unmoved, as the original). */
  labeledShift: number;
  /** Largest random turn (degrees) and relative scaling of the labeled batches (0: none). */
  labeledRotate: number;
  labeledScale: number;
  /** Strength and width (pixels) of the labeled batches' elastic distortion (0: none). */
  labeledElastic: number;
  labeledElasticSigma: number;
  /** The categorical head's regularisers (0: off, the paper's model). */
  headBalance: number;
  headConsistency: number;
  consistencyRotate: number;
  consistencyScale: number;
  /** Decay of the running average of the weights the errors were measured with (0: none, the trained weights). */
  weightAverage: number;
  /** The other settings that differ from the preset, as options (`--keep-prob 0.8 --cross-entropy-lr-factor 2`), or ''. */
  otherSettings: string;
  seeds: number[];
  /** Test error (fraction) over the seeds. */
  error: Spread;
  /** Mean wall time per run, seconds. */
  wallSeconds: number;
  backends: string[];
}

/** The epoch from which the run's learning rate was lower (null: no drop before `epochs`, or a cosine decay). */
function lrDropOf(config: { lrSchedule: LrStep[]; lrDecay?: string }, epochs: number): number | null {
  if (config.lrDecay === 'cosine') return null;
  const drop = lrDropEpoch(config.lrSchedule);
  return drop !== null && drop < epochs ? drop : null;
}

/** The settings rows of the categorical head's regularisers (one column of the tables: headRegularisersText). */
const HEAD_COLUMNS = ['headBalance', 'headConsistency', 'consistencyRotate', 'consistencyScale'];

/** The settings rows a classification row or target shows in columns of their own (not among its other settings). */
const CLASSIFICATION_COLUMNS = [
  'labels',
  'lrDrop',
  'hidden',
  'labeledNoise',
  'labeledShift',
  'labeledRotate',
  'labeledScale',
  'labeledElastic',
  'labeledElasticSigma',
  ...HEAD_COLUMNS,
  'weightAverage',
];

/** The same for clustering (averaged weights are among the other settings of its table). */
const CLUSTERING_COLUMNS = ['clusters', 'n_z', 'lrDrop', 'hidden', ...HEAD_COLUMNS];

/** ', --keep-prob 0.8' for a run's settings that its target's setup text does not otherwise say (changedOptions), else ''. */
function otherSettingsText(r: RunInfo, described: readonly string[]): string {
  const others = changedOptions(r.config, r.preset, described);
  return others.length ? `, ${others.join(' ')}` : '';
}

/** One row per setup (labels + config apart from the seed), sorted by labels then preset. */
export function summarizeClassification(results: ClassifyResult[]): ClassificationRow[] {
  return groupBy(results, (r) => setupKey(r, r.labels))
    .map((g) => ({
      labels: g[0].labels,
      source: sourceOf(g[0]),
      preset: g[0].preset,
      epochs: g[0].epochs,
      lrDrop: lrDropOf(g[0].config, g[0].epochs),
      nHidden: g[0].config.nHidden,
      labeledNoise: g[0].config.labeledNoiseStd ?? 0,
      labeledShift: g[0].config.labeledShift ?? 0,
      labeledRotate: g[0].config.labeledRotate ?? 0,
      labeledScale: g[0].config.labeledScale ?? 0,
      labeledElastic: g[0].config.labeledElastic ?? 0,
      labeledElasticSigma: g[0].config.labeledElasticSigma ?? ELASTIC_SIGMA,
      headBalance: g[0].config.headBalance ?? 0,
      headConsistency: g[0].config.headConsistency ?? 0,
      consistencyRotate: g[0].config.consistencyRotate ?? 0,
      consistencyScale: g[0].config.consistencyScale ?? 0,
      weightAverage: g[0].config.weightAverage ?? 0,
      otherSettings: changedOptions(g[0].config, g[0].preset, CLASSIFICATION_COLUMNS).join(' '),
      seeds: g.map((r) => r.seed).sort((a, b) => a - b),
      error: spread(g.map((r) => r.testError as number)),
      wallSeconds: g.reduce((s, r) => s + r.wallSeconds, 0) / g.length,
      backends: [...new Set(g.map((r) => r.backend))].sort(),
    }))
    .sort(
      (a, b) =>
        a.labels - b.labels ||
        b.source.localeCompare(a.source) ||
        String(a.preset).localeCompare(String(b.preset)) ||
        a.epochs - b.epochs ||
        a.labeledNoise - b.labeledNoise ||
        a.labeledShift - b.labeledShift ||
        a.labeledRotate - b.labeledRotate ||
        a.labeledScale - b.labeledScale ||
        a.labeledElastic - b.labeledElastic ||
        a.labeledElasticSigma - b.labeledElasticSigma ||
        a.headBalance - b.headBalance ||
        a.headConsistency - b.headConsistency ||
        a.consistencyRotate - b.consistencyRotate ||
        a.consistencyScale - b.consistencyScale ||
        a.otherSettings.localeCompare(b.otherSettings),
    );
}

/** Per value of `keyOf` (ascending), the runs of the setup the targets table reports (bestGroup). */
function bestRunsBy<T extends RunInfo & { testError: number | null }>(results: T[], keyOf: (r: T) => number): T[] {
  const groups = groupBy(results, (r) => setupKey(r, keyOf(r)));
  const keys = [...new Set(groups.map((g) => keyOf(g[0])))].sort((a, b) => a - b);
  return keys.flatMap((k) => [...(bestGroup(groups.filter((g) => keyOf(g[0]) === k)) ?? [])].sort((a, b) => a.seed - b.seed));
}

/**
 * Per number of labels (ascending), the trained runs of the setup the targets table reports
 * (bestGroup: the most seeds, then settings chosen on validation, then the lowest mean validation
 * error): what a figure of the best measured runs shows.
 */
export function bestClassificationRuns(results: ClassifyResult[]): ClassifyResult[] {
  return bestRunsBy(
    results.filter((r) => sourceOf(r) === 'trained'),
    (r) => r.labels,
  );
}

/** Per number of clusters (ascending), the runs of the setup the targets table reports (bestGroup). */
export function bestClusteringRuns(results: ClusterResult[]): ClusterResult[] {
  return bestRunsBy(results, (r) => r.clusters);
}

export interface PriorMatchRow {
  prior: string;
  nZ: number;
  source: RunSource;
  preset: PresetName | null;
  /** Epochs trained. */
  epochs: number;
  seeds: number[];
  mmd2: Spread;
  modeAccuracy: Spread | null;
}

export function summarizePriorMatch(results: PriorMatchResult[]): PriorMatchRow[] {
  return groupBy(results, (r) => setupKey(r, r.prior))
    .map((g) => {
      const acc = g.map((r) => r.modeAccuracy).filter((v): v is number => typeof v === 'number');
      return {
        prior: g[0].prior,
        nZ: g[0].nZ,
        source: sourceOf(g[0]),
        preset: g[0].preset,
        epochs: g[0].epochs,
        seeds: g.map((r) => r.seed).sort((a, b) => a - b),
        mmd2: spread(g.map((r) => r.mmd2)),
        modeAccuracy: acc.length ? spread(acc) : null,
      };
    })
    .sort((a, b) => a.prior.localeCompare(b.prior) || b.source.localeCompare(a.source) || String(a.preset).localeCompare(String(b.preset)) || a.epochs - b.epochs);
}

function pm(s: Spread, scale: number, digits: number): string {
  const mean = (s.mean * scale).toFixed(digits);
  return s.std === null ? mean : `${mean} ± ${(s.std * scale).toFixed(digits)}`;
}

/** The preset column: the preset, marked when the model came from a checkpoint ('checkpoint' alone when its preset is unknown). */
function presetCell(r: { source: RunSource; preset: PresetName | null }): string {
  if (r.source === 'trained') return r.preset ?? '-';
  return r.preset ? `${r.preset} (checkpoint)` : 'checkpoint';
}

/** ', weights averaged (0.999)' for errors measured on a running average of the weights (config.weightAverage), else ''. */
function averagedText(decay: number | undefined): string {
  return decay ? `, weights averaged (${decay})` : '';
}

function hours(seconds: number): string {
  return seconds >= 3600 ? `${(seconds / 3600).toFixed(1)} h` : seconds >= 60 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(0)} s`;
}

/** Markdown table of the classification rows, errors in percent, with the paper's numbers. */
export function classificationTable(rows: ClassificationRow[]): string {
  const lines = [
    '| labels | preset | epochs | lr drop after epoch | hidden | labeled batches | head regularisers | other settings | seeds | test error (%) | AAE paper (%) | wall time per run | backend |',
    '| ---: | --- | ---: | ---: | ---: | --- | --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const paper = PAPER_ERRORS[r.labels];
    lines.push(
      `| ${r.labels} | ${presetCell(r)}${averagedText(r.weightAverage)} | ${r.epochs} | ${r.lrDrop ?? '-'} | ${r.nHidden} | ${labeledBatchesText({ labeledNoiseStd: r.labeledNoise, labeledShift: r.labeledShift, labeledRotate: r.labeledRotate, labeledScale: r.labeledScale, labeledElastic: r.labeledElastic, labeledElasticSigma: r.labeledElasticSigma })} | ${headRegularisersText(r)} | ${r.otherSettings || '-'} | ${r.seeds.length} | ${pm(r.error, 100, 2)} | ` +
        `${paper ? `${(paper.mean * 100).toFixed(2)} ± ${(paper.spread * 100).toFixed(2)}` : '-'} | ${hours(r.wallSeconds)} | ${r.backends.join(', ')} |`,
    );
  }
  return lines.join('\n');
}

/** Markdown table of the prior-match rows (MMD^2 x 1000, mode accuracy in percent). */
export function priorMatchTable(rows: PriorMatchRow[]): string {
  const lines = ['| prior | n_z | preset | epochs | seeds | MMD² (×10³) | mode accuracy (%) |', '| --- | ---: | --- | ---: | ---: | ---: | ---: |'];
  for (const r of rows) {
    lines.push(`| ${r.prior} | ${r.nZ} | ${presetCell(r)} | ${r.epochs} | ${r.seeds.length} | ${pm(r.mmd2, 1000, 2)} | ${r.modeAccuracy ? pm(r.modeAccuracy, 100, 1) : '-'} |`);
  }
  return lines.join('\n');
}

export interface ClusteringRow {
  clusters: number;
  nZ: number;
  preset: PresetName | null;
  epochs: number;
  lrDrop: number | null;
  nHidden: HiddenSizes;
  /** The categorical head's regularisers (headRegularisersText: `balance 10, consistency 10`, or '-'). */
  headRegularisers: string;
  /** The other settings that differ from the preset, as options (`--keep-prob 0.8 --weight-average 0.999`), or ''. */
  otherSettings: string;
  seeds: number[];
  /** Test error (fraction) over the seeds. */
  error: Spread;
  wallSeconds: number;
  backends: string[];
}

/** One row per clustering setup (config apart from the seed), sorted by clusters then epochs. */
export function summarizeClustering(results: ClusterResult[]): ClusteringRow[] {
  return groupBy(results, (r) => setupKey(r, r.clusters))
    .map((g) => ({
      clusters: g[0].clusters,
      nZ: g[0].config.nZ,
      preset: g[0].preset,
      epochs: g[0].epochs,
      lrDrop: lrDropOf(g[0].config, g[0].epochs),
      nHidden: g[0].config.nHidden,
      headRegularisers: headRegularisersText(g[0].config),
      otherSettings: changedOptions(g[0].config, g[0].preset, CLUSTERING_COLUMNS).join(' '),
      seeds: g.map((r) => r.seed).sort((a, b) => a - b),
      error: spread(g.map((r) => r.testError as number)),
      wallSeconds: g.reduce((s, r) => s + r.wallSeconds, 0) / g.length,
      backends: [...new Set(g.map((r) => r.backend))].sort(),
    }))
    .sort((a, b) => a.clusters - b.clusters || a.nZ - b.nZ || a.epochs - b.epochs || a.headRegularisers.localeCompare(b.headRegularisers) || a.otherSettings.localeCompare(b.otherSettings));
}

/** Markdown table of the clustering rows, errors in percent, with the paper's numbers. */
export function clusteringTable(rows: ClusteringRow[]): string {
  const lines = [
    '| clusters | style n_z | preset | epochs | lr drop after epoch | hidden | head regularisers | other settings | seeds | test error (%) | AAE paper (%) | wall time per run | backend |',
    '| ---: | ---: | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const paper = PAPER_CLUSTER_ERRORS[r.clusters];
    lines.push(
      `| ${r.clusters} | ${r.nZ} | ${r.preset ?? '-'} | ${r.epochs} | ${r.lrDrop ?? '-'} | ${r.nHidden} | ${r.headRegularisers} | ${r.otherSettings || '-'} | ${r.seeds.length} | ${pm(r.error, 100, 2)} | ` +
        `${paper ? `${(paper.mean * 100).toFixed(2)} ± ${(paper.spread * 100).toFixed(2)}` : '-'} | ${hours(r.wallSeconds)} | ${r.backends.join(', ')} |`,
    );
  }
  return lines.join('\n');
}

/** The split a result's settings were chosen on ('test' for files that predate the field). */
export function chosenOn(r: { chosenOn?: 'validation' | 'test' }): 'validation' | 'test' {
  return r.chosenOn ?? 'test';
}

export interface TargetRow {
  /** What is measured: '100 labels', '16 clusters', ... */
  target: string;
  paper: { mean: number; spread: number };
  /** The best measured setup (bestGroup: most seeds, then chosen on validation, then the lowest validation error), null when none was measured. */
  best: { setup: string; errors: { seed: number; error: number }[]; error: Spread; chosenOn: string; epochs: number; wallSeconds: number } | null;
  met: boolean;
}

/** The last epoch's validation error of a run (undefined for files that predate it). */
function lastValError(r: RunInfo): number | undefined {
  const v = r.history.at(-1)?.val_error;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * The setup to report for a target: the most seeds; then one whose settings were chosen on the
 * validation split over one chosen by test error; then the lowest mean last-epoch validation error
 * (the test error only between groups that have no validation error, the older files). The test
 * error never picks between setups that record a validation error.
 */
export function bestGroup<T extends RunInfo & { testError: number | null }>(groups: T[][]): T[] | null {
  const val = (g: T[]) => (g.every((r) => lastValError(r) !== undefined) ? g.reduce((s, r) => s + lastValError(r)!, 0) / g.length : undefined);
  const test = (g: T[]) => g.reduce((s, r) => s + (r.testError as number), 0) / g.length;
  const onVal = (g: T[]) => g.every((r) => chosenOn(r) === 'validation');
  const better = (a: T[], b: T[]): boolean => {
    if (a.length !== b.length) return a.length > b.length;
    if (onVal(a) !== onVal(b)) return onVal(a);
    const va = val(a);
    const vb = val(b);
    if (va !== undefined && vb !== undefined) return va < vb;
    if (va !== undefined || vb !== undefined) return va !== undefined;
    return test(a) < test(b);
  };
  let best: T[] | null = null;
  for (const g of groups) if (!best || better(g, best)) best = g;
  return best;
}

function targetRow<T extends RunInfo & { testError: number | null }>(target: string, paper: { mean: number; spread: number }, g: T[] | null, setup: (r: T) => string): TargetRow {
  if (!g) return { target, paper, best: null, met: false };
  const runs = [...g].sort((a, b) => a.seed - b.seed);
  const error = spread(runs.map((r) => r.testError as number));
  const chosen = [...new Set(runs.map(chosenOn))].join(', ');
  return {
    target,
    paper,
    best: {
      setup: setup(runs[0]),
      errors: runs.map((r) => ({ seed: r.seed, error: r.testError as number })),
      error,
      chosenOn: chosen,
      epochs: runs[0].epochs,
      wallSeconds: runs.reduce((s, r) => s + r.wallSeconds, 0) / runs.length,
    },
    // A target counts as met by a mean over at least 3 seeds at or below the paper's mean.
    met: runs.length >= 3 && error.mean <= paper.mean,
  };
}

/**
 * One row per target of the AAE paper (semi-supervised 100, 1,000 and all labels; clustering with
 * 16 and 30 clusters): the best trained setup (bestGroup: the most seeds, then settings chosen on the
 * validation split, then the lowest mean validation error; the test error only for older files without one),
 * every seed's error, and whether the mean over at least 3 seeds reaches the paper's.
 */
export function targetRows(read: ReadResults): TargetRow[] {
  const trained = read.classification.filter((r) => sourceOf(r) === 'trained');
  const cls = groupBy(trained, (r) => setupKey(r, r.labels));
  const clu = groupBy(read.clustering, (r) => setupKey(r, r.clusters));
  const headText = (c: AAEConfig) => (headRegularisersText(c) === '-' ? '' : `, head ${headRegularisersText(c)}`);
  const lrText = (c: AAEConfig, epochs: number) => `${epochs} epochs${lrDropOf(c, epochs) !== null ? ` (lr drop after ${lrDropOf(c, epochs)})` : ''}`;
  // hidden layers other than the preset's (e.g. `--hidden 2000`)
  const hiddenChange = (r: RunInfo) => (r.preset && hiddenText(r.config.nHidden) !== hiddenText(PRESETS[r.preset].nHidden) ? `, hidden layers ${hiddenText(r.config.nHidden)} units` : '');
  return [
    ...Object.entries(PAPER_ERRORS).map(([n, paper]) =>
      targetRow(
        `${labelCountText(Number(n))} labels`,
        paper,
        bestGroup(cls.filter((g) => g[0].labels === Number(n))),
        (r) =>
          `${r.preset ?? '-'}${r.config.optimizer === 'momentum' ? ' (sgd)' : ''}${hiddenChange(r)}, ${lrText(r.config, r.epochs)}, labeled batches ${labeledBatchesText(r.config)}` +
          headText(r.config) +
          averagedText(r.config.weightAverage) +
          otherSettingsText(r, CLASSIFICATION_COLUMNS),
      ),
    ),
    ...Object.entries(PAPER_CLUSTER_ERRORS).map(([k, paper]) =>
      targetRow(
        `${k} clusters`,
        paper,
        bestGroup(clu.filter((g) => g[0].clusters === Number(k))),
        (r) =>
          `${r.preset ?? '-'}${hiddenChange(r)}, style n_z ${r.config.nZ}, ${lrText(r.config, r.epochs)}${headText(r.config)}${averagedText(r.config.weightAverage)}` +
          otherSettingsText(r, [...CLUSTERING_COLUMNS, 'weightAverage']),
      ),
    ),
  ];
}

/** Markdown table of the targets: the best setup's test error per seed and over the seeds, against the paper. */
export function targetsTable(rows: TargetRow[]): string {
  const lines = ['| target | AAE paper (%) | best setup measured | test error per seed (%) | mean ± std (%) | settings chosen on | met |', '| --- | ---: | --- | --- | ---: | --- | --- |'];
  for (const r of rows) {
    const paper = `${(100 * r.paper.mean).toFixed(2)} ± ${(100 * r.paper.spread).toFixed(2)}`;
    if (!r.best) {
      lines.push(`| ${r.target} | ${paper} | not measured yet | - | - | - | no |`);
      continue;
    }
    const per = r.best.errors.map((e) => `${(100 * e.error).toFixed(2)} (seed ${e.seed})`).join(', ');
    const met = r.met ? 'yes' : r.best.errors.length < 3 ? `no (${r.best.errors.length} seed${r.best.errors.length === 1 ? '' : 's'})` : 'no';
    lines.push(`| ${r.target} | ${paper} | ${r.best.setup} | ${per} | ${pm(r.best.error, 100, 2)} | ${r.best.chosenOn} | ${met} |`);
  }
  return lines.join('\n');
}

/** Both tables (those that have rows) for the results of a folder. */
export function resultsMarkdown(read: ReadResults): string {
  const parts: string[] = [];
  if (read.classification.length || read.clustering.length) {
    parts.push(
      "Against the AAE paper (MNIST test error; the setup shown: the most seeds, then settings chosen on the validation split, then the lowest mean validation error (test error only for older files without one); met = a mean over at least 3 seeds at or below the paper's):\n\n" +
        targetsTable(targetRows(read)),
    );
  }
  const cls = summarizeClassification(read.classification);
  if (cls.length) {
    parts.push('Semi-supervised classification, MNIST test set (mean ± sample std over seeds):\n\n' + classificationTable(cls));
  }
  const pmr = summarizePriorMatch(read.priorMatch);
  if (pmr.length) {
    parts.push('Prior matching of the supervised model, MNIST test codes (mean ± sample std over seeds):\n\n' + priorMatchTable(pmr));
  }
  const clu = summarizeClustering(read.clustering);
  if (clu.length) {
    parts.push('Unsupervised clustering, MNIST test set (each cluster labeled by its most confident validation image; mean ± sample std over seeds):\n\n' + clusteringTable(clu));
  }
  if (!parts.length) parts.push('No complete result files.');
  return parts.join('\n\n') + '\n';
}
