/**
 * All figures of one experiment (the original project's figure set), as specs: used by the CLI
 * (written to files by writeRunFigures) and by notebooks (shown inline).
 *
 * n_z > 2: the scatter, the prior samples and the manifold use two chosen dimensions (default 0
 * and 1, stated in each subtitle); the manifold holds every other dimension at 0.
 * n_z = 1: no 2-D figure exists; the scatter, prior and manifold are skipped with the reason.
 */
import type { AAEModel } from '../models';
import type { TrainData } from '../train/trainer';
import type { AAEConfig } from '../models/config';
import { Rng } from '../random';
import {
  conditionalGenerationSpec,
  conditionalManifoldSpec,
  latentScatterSpec,
  manifoldSpec,
  priorSamplesSpec,
  restorationSpec,
  trainingCurvesSpec,
  type DimPair,
  type FigureSpec,
  type HistoryRow,
} from './specs';
import { conditionalGeneration, conditionalManifolds, latentCodes, manifoldGrid, priorPanel, restorationData } from './data';
import { clusterExamples, clusterExamplesSpec } from './clusters';

export const FIGURE_NAMES = ['restoration', 'latent_scatter', 'prior_samples', 'manifold', 'conditional_generation', 'clusters', 'training_curves'] as const;
export type FigureName = (typeof FIGURE_NAMES)[number];

export interface NamedFigure {
  name: FigureName;
  /** The spec to show (may be interactive, e.g. the per-label manifold's label slider). */
  spec: FigureSpec;
  /** A static equivalent for files and PNG fallbacks, when `spec` is interactive. */
  staticSpec?: FigureSpec;
}

export interface ExperimentFigures {
  figures: NamedFigure[];
  /** Figures not made, with the reason (e.g. n_z = 1 has no 2-D scatter). */
  skipped: { name: FigureName; reason: string }[];
}

export interface ExperimentFigureOptions {
  /** Manifold learning result (default true). */
  pmlr?: boolean;
  /** Conditional generation, semi-supervised only (default true). */
  parr?: boolean;
  /** Only these figures (default: all that apply). */
  only?: FigureName[];
  /** Latent dimensions of the 2-D figures (default [0, 1]). */
  dims?: DimPair;
  /** Test images in the latent scatter (default: the whole test set, 10,000). */
  scatterCount?: number;
  /** Test images in the restoration figure (default 100, a 10x10 canvas). */
  restorationCount?: number;
  /** Prior samples drawn (default 5,000). */
  priorCount?: number;
  /** Manifold grid size (default 20, or 10 per label for the semi-supervised model) and range (default: the prior's support). */
  gridSize?: number;
  range?: [number, number];
  /** Seed of the prior samples and PARR styles (default: the config's seed). */
  seed?: number;
}

/** What an experiment provides to its figures (an Experiment fits). */
export interface FigureSource {
  config: AAEConfig;
  model: AAEModel;
  data: TrainData;
  trainer?: { history: readonly object[] };
}

/** Builds the experiment's figures from its model, test data and training history. */
export function experimentFigures(exp: FigureSource, opts: ExperimentFigureOptions = {}): ExperimentFigures {
  // With a running average of the weights (config.weightAverage) the figures show the averaged
  // weights, as the recorded metrics do.
  return exp.model.withAveragedWeights(() => figuresOf(exp, opts));
}

function figuresOf(exp: FigureSource, opts: ExperimentFigureOptions): ExperimentFigures {
  const { model, config } = exp;
  const want = (n: FigureName) => !opts.only || opts.only.includes(n);
  const figures: NamedFigure[] = [];
  const skipped: ExperimentFigures['skipped'] = [];
  const dims = opts.dims ?? [0, 1];
  const nZ = config.nZ;
  const rng = new Rng((opts.seed ?? config.seed) + 1000);
  const kindName = model.kind === 'semi_supervised' ? 'semi-supervised' : model.kind;
  const about = `${kindName} AAE, ${config.prior} prior, n_z = ${nZ}`;
  const twoD = nZ >= 2;
  const no2D = `n_z = ${nZ}: there is no pair of latent dimensions to plot`;
  const test = exp.data.test;

  if (want('restoration')) {
    const count = Math.min(opts.restorationCount ?? 100, test.count - (test.count % 10));
    figures.push({ name: 'restoration', spec: restorationSpec(restorationData(model, test, count), { title: `Restoration by the ${kindName} AAE (${count} test images)` }) });
  }
  if (want('latent_scatter')) {
    if (!twoD) skipped.push({ name: 'latent_scatter', reason: no2D });
    else {
      const count = Math.min(opts.scatterCount ?? test.count, test.count);
      const what = model.kind === 'supervised' || model.kind === 'unsupervised' ? 'Latent codes' : 'Style codes';
      figures.push({
        name: 'latent_scatter',
        spec: latentScatterSpec(latentCodes(model, test, count), { dims, title: `${what} of ${count.toLocaleString('en-US')} test images`, subtitle: about }),
      });
    }
  }
  if (want('prior_samples')) {
    if (!twoD) skipped.push({ name: 'prior_samples', reason: no2D });
    else {
      // The supervised model's prior has a mode per class of a data set other than MNIST, named by it.
      const modeNames = model.kind === 'supervised' && config.classNames ? config.classNames : undefined;
      figures.push({ name: 'prior_samples', spec: priorSamplesSpec([priorPanel(model.prior, opts.priorCount ?? 5000, nZ, rng, dims, modeNames)]) });
    }
  }
  if (want('manifold') && opts.pmlr !== false) {
    if (!twoD) skipped.push({ name: 'manifold', reason: no2D });
    else if (model.kind === 'clustering') skipped.push({ name: 'manifold', reason: 'the clustering model has no label-conditioned manifold (see the clusters figure)' });
    else {
      const grid = { gridSize: opts.gridSize, range: opts.range, dims };
      if (model.kind === 'semi_supervised') {
        const data = conditionalManifolds(model, grid);
        figures.push({
          name: 'manifold',
          spec: conditionalManifoldSpec(data, { control: 'slider' }),
          staticSpec: conditionalManifoldSpec(data, { control: 'grid' }),
        });
      } else {
        figures.push({ name: 'manifold', spec: manifoldSpec(manifoldGrid(model, grid), { subtitle: about }) });
      }
    }
  }
  if (want('conditional_generation') && opts.parr !== false) {
    if (model.kind !== 'semi_supervised') skipped.push({ name: 'conditional_generation', reason: 'conditional generation needs the semi-supervised model (labels as decoder input)' });
    else figures.push({ name: 'conditional_generation', spec: conditionalGenerationSpec(conditionalGeneration(model, rng, 10)) });
  }
  if (want('clusters') && model.kind === 'clustering') {
    const labels = exp.data.validation && exp.data.validation.count > 0 ? model.clusterLabels(exp.data.validation) : null;
    figures.push({ name: 'clusters', spec: clusterExamplesSpec(clusterExamples(model, test, Math.min(10, test.count), labels), { title: `${model.nClasses} clusters of the test images` }) });
  }
  if (want('training_curves')) {
    const history = (exp.trainer?.history ?? []) as HistoryRow[];
    if (history.length === 0) skipped.push({ name: 'training_curves', reason: 'no epoch finished yet' });
    else figures.push({ name: 'training_curves', spec: trainingCurvesSpec(history) });
  }
  return { figures, skipped };
}
