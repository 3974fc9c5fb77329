/**
 * The figures of the unsupervised clustering AAE, as the AAE paper shows them: per cluster, the
 * decoder's image of the cluster with the style at zero next to the images the model is most
 * confident belong to it; and the confusion between clusters and digits.
 */
import { ConfigError } from '../errors';
import type { SemiSupervisedAAE } from '../models/semi_supervised';
import { pixelsPerImage, type ImageSet } from '../data/mnist';
import { MNIST_SHAPE, pixelsOf, type ImageShape } from '../data/dataset';
import { isDigitNames } from './palette';
import { digitGrid } from './images';
import { BASE_CONFIG, VEGA_LITE_SCHEMA, imagePanel, title, type FigureSpec } from './specs';

export interface ClusterExamples {
  clusters: number;
  /** clusters images: the decoder's image of cluster k with the style at zero. */
  prototypes: Float32Array;
  /** clusters * perCluster images: row k holds the images most confidently in cluster k, most confident first. */
  examples: Float32Array;
  perCluster: number;
  /** The label of each cluster (from the validation split), or null when not known. */
  labels: ArrayLike<number> | null;
  /** Images of the set assigned to each cluster (their most probable one). */
  counts: number[];
  /** The images' shape (default MNIST's 28x28 grey). */
  shape?: ImageShape;
  /** The data set's class names, for the clusters' labels (default the digits). */
  classNames?: readonly string[];
}

/** For each cluster, the `perCluster` images of `set` with the highest probability of that cluster. */
export function clusterExamples(model: SemiSupervisedAAE, set: ImageSet, perCluster = 10, labels: ArrayLike<number> | null = null): ClusterExamples {
  const K = model.nClasses;
  if (!(Number.isInteger(perCluster) && perCluster >= 1 && perCluster <= set.count)) {
    throw new ConfigError(`clusterExamples: perCluster must be an integer from 1 to the set's ${set.count} images, got ${perCluster}`);
  }
  const p = model.classProbabilities(set.images);
  const P = pixelsPerImage(set);
  const examples = new Float32Array(K * perCluster * P);
  for (let k = 0; k < K; k++) {
    const order = Array.from({ length: set.count }, (_, i) => i).sort((a, b) => p[b * K + k] - p[a * K + k]);
    for (let j = 0; j < perCluster; j++) {
      const i = order[j];
      examples.set(set.images.subarray(i * P, (i + 1) * P), (k * perCluster + j) * P);
    }
  }
  const counts = new Array(K).fill(0);
  for (const k of model.assign(set.images)) counts[k]++;
  const prototypes = model.decode(
    new Float32Array(K * model.config.nZ),
    Array.from({ length: K }, (_, k) => k),
  );
  return {
    clusters: K,
    prototypes,
    examples,
    perCluster,
    labels,
    counts,
    ...(model.config.imageShape ? { shape: model.shape } : {}),
    ...(model.config.classNames ? { classNames: model.config.classNames } : {}),
  };
}

/** The name of a cluster's label: the digit, or the class name. */
function labelName(label: number, classNames: readonly string[] | undefined): string {
  return isDigitNames(classNames) ? String(label) : classNames![label];
}

export interface ClusterExamplesOptions {
  /** Display pixels per image's width (default the image width, 28 for MNIST). */
  cellSize?: number;
  title?: string;
}

/** One row per cluster: its decoded image (style 0), then its most confident images. */
export function clusterExamplesSpec(data: ClusterExamples, opts: ClusterExamplesOptions = {}): FigureSpec {
  const K = data.clusters;
  const N = data.perCluster;
  const shape = data.shape ?? MNIST_SHAPE;
  const P = pixelsOf(shape);
  if (data.prototypes.length !== K * P || data.examples.length !== K * N * P) {
    throw new ConfigError(`clusterExamplesSpec: ${K} clusters need ${K} prototypes and ${K * N} examples of ${P} values`);
  }
  const cell = opts.cellSize ?? shape.width;
  const cellH = (cell * shape.height) / shape.width;
  const rowLabels = Array.from({ length: K }, (_, k) => `${k}${data.labels ? ` → ${labelName(data.labels[k], data.classNames)}` : ''} (${data.counts[k]})`);
  const y = [-0.5, K - 0.5] as [number, number];
  const left = imagePanel({
    grid: digitGrid(data.prototypes, K, 1, { pad: 1, shape }),
    x: [-0.5, 0.5],
    y,
    yReverse: true,
    width: cell,
    height: K * cellH,
    title: 'style 0',
    xTicks: null,
    yTicks: Array.from({ length: K }, (_, k) => k),
    yTitle: data.labels ? 'cluster → its label (images)' : 'cluster (images)',
  });
  // The row labels: cluster, its label and how many images it holds.
  (left.encoding.y.axis as Record<string, unknown>).labelExpr = `${JSON.stringify(rowLabels)}[datum.value]`;
  const right = imagePanel({
    grid: digitGrid(data.examples, K, N, { pad: 1, shape }),
    x: [-0.5, N - 0.5],
    y,
    yReverse: true,
    width: N * cell,
    height: K * cellH,
    title: 'most confident images',
    xTicks: null,
    yTicks: null,
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? `${K} clusters`),
    hconcat: [left, right],
    spacing: 8,
    config: { ...BASE_CONFIG, view: { stroke: null }, axis: { ...BASE_CONFIG.axis, ticks: false, domain: false } },
  } as FigureSpec;
}

export interface ClusterConfusion {
  clusters: number;
  /** counts[k][d]: images of digit d assigned to cluster k. */
  counts: number[][];
  /** The label of each cluster, or null. */
  labels: ArrayLike<number> | null;
  /** The data set's class names (default the digits). */
  classNames?: readonly string[];
}

/** Images of each digit in each cluster (each image in its most probable cluster). */
export function clusterConfusion(model: SemiSupervisedAAE, set: ImageSet, labels: ArrayLike<number> | null = null): ClusterConfusion {
  const K = model.nClasses;
  const counts = Array.from({ length: K }, () => new Array(Math.max(1, model.classes)).fill(0));
  const assign = model.assign(set.images);
  for (let i = 0; i < set.count; i++) counts[assign[i]][set.labels[i]]++;
  return { clusters: K, counts, labels, ...(model.config.classNames ? { classNames: model.config.classNames } : {}) };
}

/** Heat map: clusters (rows) against true digits (columns), counts written in the cells. */
export function clusterConfusionSpec(data: ClusterConfusion, opts: { title?: string; cellSize?: number } = {}): FigureSpec {
  const cell = opts.cellSize ?? 26;
  const name = (k: number) => `${k}${data.labels ? ` → ${labelName(data.labels[k], data.classNames)}` : ''}`;
  const classes = data.counts[0]?.length ?? 10;
  const values = data.counts.flatMap((row, k) => row.map((n, d) => ({ c: name(k), d, n })));
  const names = isDigitNames(data.classNames) ? undefined : `${JSON.stringify(data.classNames)}[datum.value]`;
  const order = data.counts.map((_, k) => name(k));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: title(opts.title ?? 'Clusters against digits', data.labels ? 'row: cluster → the label it takes from the validation split' : undefined),
    data: { values },
    width: classes * cell,
    height: data.clusters * cell,
    encoding: {
      x: { field: 'd', type: 'ordinal', title: names ? 'true class' : 'true digit', axis: names ? { labelAngle: -45, labelExpr: names } : { labelAngle: 0 } },
      y: { field: 'c', type: 'ordinal', sort: order, scale: { domain: order }, title: 'cluster' },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: { color: { field: 'n', type: 'quantitative', title: 'images', scale: { scheme: 'blues', domainMin: 0 } } },
        transform: [{ filter: 'datum.n > 0' }],
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          text: { field: 'n', type: 'quantitative' },
          color: { condition: { test: `datum.n > ${Math.max(...data.counts.flat()) / 2}`, value: 'white' }, value: 'black' },
        },
        transform: [{ filter: 'datum.n > 0' }],
      },
    ],
    config: BASE_CONFIG,
  } as FigureSpec;
}
