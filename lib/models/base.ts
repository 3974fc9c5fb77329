/** What both AAE models share: weights by name, optimizers by phase, batched evaluation. */
import * as tf from '@tensorflow/tfjs-core';
import type { AAEConfig } from './config';
import { Adam } from '../nn/adam';
import { meanSquaredError } from '../nn/losses';
import { Momentum } from '../nn/momentum';
import type { GradientOptimizer as Optimizer } from '../nn/optimizer';
import type { Batch } from '../data/batches';
import type { ImageSet } from '../data/mnist';
import { classCountOf, imageShapeOf } from '../data/config';
import { pixelsOf, shapeText, type ImageShape } from '../data/dataset';
import { Rng } from '../random';
import { getPrior, type Prior } from '../priors';
import type { Dropout } from '../nn/layers';
import { LayersNetwork, checkWidths, toNetwork, type Network } from '../nn/network';
import type * as tfl from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { WeightAverage } from '../nn/average';

/** A network given by value: a tfjs-layers model (wrapped as LayersNetwork) or a Network. */
export type NetworkValue = Network | tfl.LayersModel;

/**
 * Networks passed by value, by role; a role left out gets the built-in network of the config
 * (`networks`: 'mlp' or 'conv'; hidden sizes `nHidden`, `hiddenPerNetwork`). The supervised model
 * has encoder, decoder and discriminator; the semi-supervised and clustering models encoder,
 * decoder, zDiscriminator and yDiscriminator. Each maps rows to rows (lib/nn/network.ts):
 *  - encoder: pixels -> n_z (supervised, unsupervised) or n_z + K (semi-supervised, clustering: the style, then the K label logits);
 *  - decoder: n_z (supervised) or n_z + K ([style, label probabilities]) -> pixels in [0, 1] (end in a sigmoid);
 *  - discriminator: n_z + K ([z, one-hot label of the K classes]; unsupervised: n_z) -> 1 logit; zDiscriminator: n_z -> 1; yDiscriminator: K -> 1.
 */
export interface NetworkSet {
  encoder?: NetworkValue;
  decoder?: NetworkValue;
  discriminator?: NetworkValue;
  zDiscriminator?: NetworkValue;
  yDiscriminator?: NetworkValue;
}

export const NETWORK_ROLES = ['encoder', 'decoder', 'discriminator', 'zDiscriminator', 'yDiscriminator'] as const;
export type NetworkRole = (typeof NETWORK_ROLES)[number];

/** Loss values of one training step, by phase (before that phase's update). */
export type StepLosses = Record<string, number>;

export interface Evaluation {
  /** Mean squared error of the reconstructions of clean inputs (keep_prob 1). */
  reconLoss: number;
  /** Semi-supervised (and clustering, given its clusters' labels): fraction of misclassified images. */
  classError?: number;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an Array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${(v as unknown as ArrayLike<number>).length}`;
  return typeof v;
}

export abstract class AAEBase {
  abstract readonly kind: 'supervised' | 'semi_supervised' | 'clustering' | 'unsupervised';
  /** Optimizers by phase name, in the order the phases run. */
  abstract readonly optimizers: Record<string, Optimizer>;

  /** The data set's image shape (config.imageShape; MNIST's 28x28x1 when absent). */
  readonly shape: ImageShape;
  /** Values per image: height * width * channels (MNIST: 784). */
  readonly pixels: number;
  /** The data set's classes (config.classNames; MNIST: 10; 0 without labels). */
  readonly classes: number;
  /** The roles whose networks were passed by value (the others are built-in). */
  readonly given = new Set<NetworkRole>();

  /** The target prior of the code (config.prior's). */
  readonly prior: Prior;

  constructor(readonly config: AAEConfig) {
    this.shape = imageShapeOf(config);
    this.pixels = pixelsOf(this.shape);
    this.classes = classCountOf(config);
    this.prior = getPrior(config.prior);
  }

  /** A batch of flattened images as a [n, pixels] tensor. */
  protected imagesTensor(x: Float32Array, n: number): tf.Tensor2D {
    return tf.tensor2d(x, [n, this.pixels]);
  }

  /** Rows [s, e) of flattened images as a tensor. */
  protected rows(images: Float32Array, s: number, e: number): tf.Tensor2D {
    return this.imagesTensor(images.subarray(s * this.pixels, e * this.pixels), e - s);
  }

  /** The model's networks by role, in the order of namedWeights. */
  abstract networks(): Partial<Record<NetworkRole, Network>>;

  /**
   * config.weightAverage > 0: the running average of the encoder's and decoder's weights (the
   * networks evaluation uses), updated after every training step; null otherwise. Built by
   * createModel from the initial weights.
   */
  weightAverage: WeightAverage | null = null;

  /** Starts the running average of the weights (config.weightAverage > 0); createModel calls it once the networks exist. */
  startWeightAverage(): void {
    if (this.weightAverage || !(this.config.weightAverage > 0)) return;
    const n = this.networks();
    const vars = [n.encoder, n.decoder].flatMap((net) => (net ? net.weights().map(([, v]) => v) : []));
    this.weightAverage = new WeightAverage(vars, this.config.weightAverage);
  }

  /**
   * Runs `fn` on the averaged weights when the model keeps an average (config.weightAverage), else
   * on the weights; the weights are back afterwards. Training's validation and test metrics use it.
   */
  withAveragedWeights<T>(fn: () => T): T {
    return this.weightAverage ? this.weightAverage.use(fn) : fn();
  }

  /** Every weight by its stable name (`encoder/dense_1/kernel`, ...). */
  namedWeights(): [string, tf.Variable][] {
    return Object.values(this.networks()).flatMap((n) => n.weights());
  }

  /** The image shape as tfjs-layers writes it, [height, width, channels]: what the encoder reads and the decoder draws. */
  imageShape(): [number, number, number] {
    return [this.shape.height, this.shape.width, this.shape.channels];
  }

  /**
   * The network of `role`: the one in `given` (checked: `inputs` -> `outputs`, as `why` explains),
   * else `builtIn()`. Throws a ConfigError for a role of `given` this model does not have.
   */
  protected network(given: NetworkSet | undefined, role: NetworkRole, name: string, inputs: number, outputs: number, why: string, builtIn: () => Network): Network {
    const v = given?.[role];
    if (v === undefined || v === null) return builtIn();
    const net = toNetwork(name, v);
    checkWidths(role, net, inputs, outputs, why);
    this.given.add(role);
    return net;
  }

  /** Throws a ConfigError for roles in `given` that the model has no network for, and for weight names used twice. */
  protected checkNetworks(given: NetworkSet | undefined, roles: readonly NetworkRole[]): void {
    if (given === undefined || given === null) return;
    if (typeof given !== 'object') throw new ConfigError(`networks must be an object of networks by role (${roles.join(', ')}), got ${typeof given}`);
    for (const k of Object.keys(given)) {
      if (!(roles as readonly string[]).includes(k)) throw new ConfigError(`networks.${k}: the ${this.config.model} model has no such network; its networks: ${roles.join(', ')}`);
    }
  }

  /**
   * Throws a ConfigError naming the network, the backend and the missing kernels if a network cannot
   * be trained on the active backend (conv layers on tfjs 4.22's wasm, which has no Conv2DBackpropFilter).
   */
  checkBackend(): void {
    for (const [role, net] of Object.entries(this.networks())) {
      const missing = net instanceof LayersNetwork ? net.missingKernels() : [];
      if (missing.length) {
        throw new ConfigError(
          `${role}: its convolutions cannot be trained on the ${tf.getBackend()} backend, which lacks the kernel${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; train it on wasm-blas (the native convolution kernels) or cpu (slow)`,
        );
      }
    }
  }

  /** Throws a ConfigError if two weights share a name (a checkpoint could not tell them apart). */
  protected checkWeightNames(): void {
    const seen = new Set<string>();
    for (const [name] of this.namedWeights()) {
      if (seen.has(name)) throw new ConfigError(`two weights are named ${name}; give each network its own name`);
      seen.add(name);
    }
  }

  /** One training step on a batch: the original's phases in order. */
  abstract trainStep(batch: Batch, labeled: Batch | null, lr: number, rng: Rng): StepLosses;

  /** Codes (z, or the style for the semi-supervised model) of images, keep_prob 1. */
  abstract encodeTensor(x: tf.Tensor2D): tf.Tensor2D;

  /** Images from codes; the semi-supervised decoder also takes labels (one-hot joined to the style). */
  abstract decodeTensor(z: tf.Tensor2D, labels?: ArrayLike<number>): tf.Tensor2D;

  /**
   * The optimizer of a phase, per config: Adam, or SGD with momentum (config.momentum for the
   * reconstruction and cross-entropy phases, config.regularizationMomentum for the adversarial ones).
   */
  protected makeOptimizer(vars: tf.Variable[], phase: 'reconstruction' | 'regularization' | 'crossEntropy'): Optimizer {
    if (this.config.optimizer === 'adam') return new Adam(vars);
    return new Momentum(vars, phase === 'regularization' ? this.config.regularizationMomentum : this.config.momentum);
  }

  /**
   * The reconstruction cost the reconstruction phase minimizes: the original's mean squared error
   * over pixels, or (reconstructionLoss 'sum') the squared error summed over an image's values (MNIST:
   * 784), i.e. that many times larger gradients, the scale SGD's rates in the paper-sgd preset are meant for.
   */
  protected reconstructionCost(pred: tf.Tensor, x: tf.Tensor): tf.Scalar {
    const mse = meanSquaredError(pred, x);
    return this.config.reconstructionLoss === 'sum' ? tf.mul(mse, this.pixels) : mse;
  }

  /** A reconstruction cost as the per-pixel mean squared error, whichever cost was minimized. */
  protected perPixel(cost: number): number {
    return this.config.reconstructionLoss === 'sum' ? cost / this.pixels : cost;
  }

  protected dropout(rng: Rng): Dropout | null {
    return this.config.keepProb < 1 ? { rate: 1 - this.config.keepProb, rng } : null;
  }

  /** Runs f over chunks of rows and concatenates the Float32 results. */
  protected chunked(rows: number, width: number, chunk: number, f: (start: number, end: number) => tf.Tensor): Float32Array {
    const out = new Float32Array(rows * width);
    for (let s = 0; s < rows; s += chunk) {
      const e = Math.min(rows, s + chunk);
      const t = tf.tidy(() => f(s, e));
      out.set(t.dataSync() as Float32Array, s * width);
      t.dispose();
    }
    return out;
  }

  /**
   * Checks `images` (a Float32Array of n * pixels values, n >= 1) for method `what`; returns n.
   * Errors name the argument, what was given and what is valid.
   */
  protected checkImages(what: string, images: Float32Array): number {
    const P = this.pixels;
    const size = shapeText(this.shape);
    if (!(images instanceof Float32Array)) {
      throw new TypeError(`${what}: images must be a Float32Array of n * ${P} pixels (${size}, row-major), got ${describe(images)}`);
    }
    const n = images.length / P;
    if (!Number.isInteger(n) || n < 1) {
      throw new ConfigError(`${what}: images has ${images.length} values, not a whole number of ${P}-pixel (${size}) images; valid: n * ${P}, n >= 1`);
    }
    return n;
  }

  encode(images: Float32Array): Float32Array {
    const n = this.checkImages('encode', images);
    return this.chunked(n, this.config.nZ, 1000, (s, e) => this.encodeTensor(this.rows(images, s, e)));
  }

  decode(codes: Float32Array, labels?: ArrayLike<number>): Float32Array {
    const nZ = this.config.nZ;
    if (!(codes instanceof Float32Array)) {
      throw new TypeError(`decode: codes must be a Float32Array of n * ${nZ} values (n_z = ${nZ}), got ${describe(codes)}`);
    }
    const n = codes.length / nZ;
    if (!Number.isInteger(n) || n < 1) {
      throw new ConfigError(`decode: codes has ${codes.length} values, not a whole number of ${nZ}-dim codes; valid: n * ${nZ}, n >= 1`);
    }
    if (labels !== undefined) {
      if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number' || labels.length !== n) {
        throw new ConfigError(`decode: labels must hold one label per code (${n}), got ${labels === null || typeof labels !== 'object' ? describe(labels) : `${labels.length} labels`}`);
      }
      for (let i = 0; i < n; i++) {
        const l = labels[i];
        if (!Number.isInteger(l) || l < 0 || l >= this.labelCount()) throw new ConfigError(`decode: labels[${i}] is ${l}; valid labels: 0 to ${this.labelCount() - 1}`);
      }
    }
    return this.chunked(n, this.pixels, 1000, (s, e) =>
      this.decodeTensor(tf.tensor2d(codes.subarray(s * nZ, e * nZ), [e - s, nZ]), labels ? Array.from({ length: e - s }, (_, i) => labels[s + i]) : undefined),
    );
  }

  /** Labels (or clusters) the decoder takes: 0 to labelCount() - 1. */
  protected labelCount(): number {
    return this.classes;
  }

  /** Reconstructions of images (keep_prob 1, clean input). */
  abstract reconstruct(images: Float32Array): Float32Array;

  /** `clusterLabels`: the clustering model's label per cluster (see SemiSupervisedAAE.clusterLabels); others ignore it. */
  evaluate(set: ImageSet, _clusterLabels?: ArrayLike<number>): Evaluation {
    if (!set || typeof set !== 'object') throw new TypeError(`evaluate: set must be an ImageSet {images, labels, count}, got ${describe(set)}`);
    const n = this.checkImages('evaluate', set.images);
    if (set.count !== n || !set.labels || set.labels.length !== n) {
      throw new ConfigError(`evaluate: set.count (${set.count}) and set.labels (${set.labels?.length}) must equal the number of images (${n})`);
    }
    const rec = this.reconstruct(set.images);
    let se = 0;
    for (let i = 0; i < rec.length; i++) {
      const d = rec[i] - set.images[i];
      se += d * d;
    }
    return { reconLoss: se / rec.length };
  }

  /**
   * Frees the weights and the optimizers' state. Networks passed by value are part of the model and
   * are disposed too, unless `keepGiven` (a failed load leaves the caller's networks usable).
   */
  dispose(keepGiven = false): void {
    for (const [role, net] of Object.entries(this.networks()) as [NetworkRole, Network][]) if (!(keepGiven && this.given.has(role))) net.dispose();
    for (const o of Object.values(this.optimizers)) o.dispose();
    this.weightAverage?.dispose();
  }
}
