/**
 * The training loop: epochs over the training set, the model's phases per batch in the original's
 * order, per-epoch metrics, callbacks shared by the CLI and the notebooks, and an exact, resumable
 * state (position in the epoch, generator state, optimizer moments) for checkpoints.
 */
import type { AAEModel } from '../models';
import { learningRate } from './schedule';
import { addNoise, batchesPerEpoch, epochOrder, makeBatch, moveImages, type Batch } from '../data/batches';
import { pixelsPerImage, type ImageSet } from '../data/mnist';
import { Rng, type RngState } from '../random';
import { ConfigError } from '../errors';

/** The most labeled training images whose error (labeled_error) an epoch records. */
export const LABELED_EVAL_SIZE = 5000;

/** The first n rows of a set (all when n >= its count), as views of its arrays: no copy per evaluation. */
function firstRows(set: ImageSet, n: number): ImageSet {
  if (n >= set.count) return set;
  return { images: set.images.subarray(0, n * pixelsPerImage(set)), labels: set.labels.subarray(0, n), count: n };
}

export interface TrainData {
  train: ImageSet;
  test: ImageSet;
  /**
   * Labeled images held out of training (neither in `train` nor in `labeled`): the split that
   * chooses settings. Its metrics (val_reconstruction, val_error) are recorded every epoch next to
   * the test set's.
   */
  validation?: ImageSet | null;
  /** Semi-supervised: the labeled examples for the cross-entropy phase. */
  labeled?: ImageSet | null;
}

/** One row per epoch; every value a number so the history is a plain table. */
export interface EpochMetrics {
  epoch: number;
  lr: number;
  seconds: number;
  /** Mean over the epoch's batches of each phase's loss (train_reconstruction, train_discriminator, ...). */
  [metric: string]: number;
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  losses: Record<string, number>;
}

export interface TrainCallbacks {
  onTrainStart?(trainer: Trainer): void | Promise<void>;
  onBatchEnd?(info: BatchInfo, trainer: Trainer): void | Promise<void>;
  onEpochEnd?(metrics: EpochMetrics, trainer: Trainer): void | Promise<void>;
  onTrainEnd?(trainer: Trainer, outcome: TrainOutcome): void | Promise<void>;
}

export type TrainOutcome = 'completed' | 'interrupted';

/** A NaN or infinite loss. `epoch` and `batch` are 0-based; the message counts from 1, as the CLI does. */
export class DivergenceError extends Error {
  constructor(
    readonly phase: string,
    readonly epoch: number,
    readonly batch: number,
    readonly value: number,
  ) {
    super(`training diverged: the ${phase} loss is ${value} in epoch ${epoch + 1}, batch ${batch + 1}`);
    this.name = 'DivergenceError';
  }
}

/** Everything needed to continue training exactly where it stopped. */
export interface TrainerState {
  /** Epoch in progress (or the next one when batch = 0). */
  epoch: number;
  /** Next batch of that epoch. */
  batch: number;
  order: number[] | null;
  labeledOrder: number[] | null;
  labeledCursor: number;
  sums: Record<string, number>;
  epochSeconds: number;
  rng: RngState;
  history: EpochMetrics[];
}

export interface TrainOptions {
  /** Train up to this many epochs in all (default: config.epochs). */
  epochs?: number;
  callbacks?: TrainCallbacks | TrainCallbacks[];
  /** Stops after the current batch when aborted; the state then points at the next batch. */
  signal?: AbortSignal;
  /** Evaluate test metrics on the first N test images only (default: all). */
  evalSize?: number;
  /** Let the event loop run (signals, notebook displays) every N batches (default 1). */
  yieldEvery?: number;
}

const TRAIN_OPTIONS = ['epochs', 'callbacks', 'signal', 'evalSize', 'yieldEvery'];

/** Throws a ConfigError/TypeError naming the option, the bad value and what is valid. */
export function checkTrainOptions(opts: TrainOptions): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`Trainer.run options must be an object, got ${String(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!TRAIN_OPTIONS.includes(k)) throw new ConfigError(`Trainer.run: unknown option "${k}"; valid options: ${TRAIN_OPTIONS.join(', ')}`);
  }
  const int = (k: 'epochs' | 'evalSize' | 'yieldEvery') => {
    const v = opts[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
      throw new ConfigError(`Trainer.run: ${k} must be a positive integer, got ${String(v)}`);
    }
  };
  int('epochs');
  int('evalSize');
  int('yieldEvery');
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw new TypeError(`Trainer.run: signal must be an AbortSignal (from an AbortController), got ${String(opts.signal)}`);
  }
  const cbs = opts.callbacks === undefined ? [] : Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks];
  const names = ['onTrainStart', 'onBatchEnd', 'onEpochEnd', 'onTrainEnd'];
  for (const cb of cbs) {
    if (cb === null || typeof cb !== 'object') throw new TypeError(`Trainer.run: callbacks must be objects with ${names.join(', ')}, got ${String(cb)}`);
    for (const [k, v] of Object.entries(cb)) {
      if (names.includes(k) && typeof v !== 'function') throw new TypeError(`Trainer.run: callback ${k} must be a function, got ${typeof v}`);
    }
  }
}

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

export class Trainer {
  readonly rng: Rng;
  state: TrainerState;

  constructor(
    readonly model: AAEModel,
    readonly data: TrainData,
    rng?: Rng,
  ) {
    const cfg = model.config;
    if (cfg.model === 'semi_supervised' && !data.labeled) {
      throw new Error('the semi-supervised model needs labeled examples (data.labeled)');
    }
    if (data.train.count < cfg.batchSize) {
      throw new ConfigError(`batch size ${cfg.batchSize} is larger than the training set (${data.train.count} images)`);
    }
    this.rng = rng ?? new Rng(cfg.seed + 1);
    this.state = {
      epoch: 0,
      batch: 0,
      order: null,
      labeledOrder: null,
      labeledCursor: 0,
      sums: {},
      epochSeconds: 0,
      rng: this.rng.getState(),
      history: [],
    };
  }

  get history(): EpochMetrics[] {
    return this.state.history;
  }

  get batchesPerEpoch(): number {
    return batchesPerEpoch(this.data.train.count, this.model.config.batchSize);
  }

  /** Snapshot for a checkpoint (the generator state is read now). */
  snapshot(): TrainerState {
    return { ...this.state, rng: this.rng.getState(), history: this.state.history.map((h) => ({ ...h })) };
  }

  restore(state: TrainerState): void {
    this.state = { ...state, history: state.history.map((h) => ({ ...h })) };
    this.rng.setState(state.rng);
  }

  private nextLabeledBatch(): Batch | null {
    const set = this.data.labeled;
    if (!set || this.model.kind !== 'semi_supervised') return null;
    const cfg = this.model.config;
    const size = Math.min(cfg.batchSize, set.count);
    const s = this.state;
    if (!s.labeledOrder || s.labeledCursor + size > set.count) {
      s.labeledOrder = Array.from(epochOrder(set.count, cfg.shuffle ? this.rng : null));
      s.labeledCursor = 0;
    }
    // The original feeds labeled batches unmoved and without input noise (labeledShift 0,
    // labeledNoiseStd 0); a move (whole pixels, or a warp: turned, scaled and moved) comes first,
    // then the noise, both from the run's stream.
    const b = makeBatch(set, s.labeledOrder.slice(s.labeledCursor, s.labeledCursor + size), 0, size, 0, this.rng);
    s.labeledCursor += size;
    const warp = { rotate: cfg.labeledRotate, scale: cfg.labeledScale, shift: cfg.labeledShift, elastic: cfg.labeledElastic, elasticSigma: cfg.labeledElasticSigma };
    if (warp.rotate > 0 || warp.scale > 0 || warp.shift > 0 || warp.elastic > 0) b.x = b.xNoised = moveImages(b.x, warp, this.rng, this.model.shape);
    if (cfg.labeledNoiseStd > 0) b.xNoised = addNoise(b.x, cfg.labeledNoiseStd, this.rng);
    return b;
  }

  /**
   * Metrics of the first `evalSize` images (default: all) of a set, keep_prob 1, with the averaged
   * weights when the model keeps an average (config.weightAverage), named
   * `<prefix>_reconstruction` and, with labels to predict, `<prefix>_error`.
   */
  private evaluateSet(set: ImageSet, prefix: string, evalSize?: number, clusterLabels?: Uint8Array): Record<string, number> {
    const part = firstRows(set, evalSize ?? set.count);
    const ev = this.model.withAveragedWeights(() => this.model.evaluate(part, clusterLabels));
    const out: Record<string, number> = { [`${prefix}_reconstruction`]: ev.reconLoss };
    if (ev.classError !== undefined) out[`${prefix}_error`] = ev.classError;
    return out;
  }

  /**
   * The clustering model's label per cluster, taken from the whole validation split as the AAE paper
   * does (undefined for the other models, without a validation split, or for a data set without labels).
   */
  clusterLabels(): Uint8Array | undefined {
    const v = this.data.validation;
    const m = this.model;
    return m.kind === 'clustering' && m.classes > 0 && v && v.count > 0 ? m.withAveragedWeights(() => m.clusterLabels(v)) : undefined;
  }

  /** Test-set metrics (keep_prob 1): reconstruction loss and, where labels are predicted, the error. */
  evaluateTest(evalSize?: number, clusterLabels = this.clusterLabels()): Record<string, number> {
    return this.evaluateSet(this.data.test, 'test', evalSize, clusterLabels);
  }

  /**
   * Semi-supervised: the error on the labeled training images themselves (labeled_error), read as
   * they are (no noise, move or warp), on the first evalSize of them and at most LABELED_EVAL_SIZE:
   * how well the model fits the labels it learns from, next to the validation error.
   */
  evaluateLabeled(evalSize?: number): Record<string, number> {
    const l = this.data.labeled;
    const m = this.model;
    if (m.kind !== 'semi_supervised' || !l || l.count === 0) return {};
    const part = firstRows(l, Math.min(evalSize ?? LABELED_EVAL_SIZE, LABELED_EVAL_SIZE));
    return { labeled_error: m.withAveragedWeights(() => m.classError(part)) };
  }

  /**
   * Validation metrics (val_reconstruction, val_error), the test set's, and the labeled training
   * images' error (evaluateLabeled), as recorded every epoch; no val_ metrics when the data has no
   * validation split.
   */
  evaluate(evalSize?: number): Record<string, number> {
    const labels = this.clusterLabels();
    const v = this.data.validation;
    return { ...(v && v.count > 0 ? this.evaluateSet(v, 'val', evalSize, labels) : {}), ...this.evaluateTest(evalSize, labels), ...this.evaluateLabeled(evalSize) };
  }

  /** Trains until `epochs` epochs are done in all, or the signal aborts. */
  async run(opts: TrainOptions = {}): Promise<TrainOutcome> {
    checkTrainOptions(opts);
    this.model.checkBackend();
    const cfg = this.model.config;
    const total = opts.epochs ?? cfg.epochs;
    const cbs = opts.callbacks ? (Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks]) : [];
    const emit = async <K extends keyof TrainCallbacks>(k: K, ...args: Parameters<NonNullable<TrainCallbacks[K]>>) => {
      for (const cb of cbs) await (cb[k] as ((...a: unknown[]) => unknown) | undefined)?.apply(cb, args);
    };
    const yieldEvery = Math.max(1, opts.yieldEvery ?? 1);
    const batches = this.batchesPerEpoch;
    const s = this.state;
    await emit('onTrainStart', this);
    let outcome: TrainOutcome = 'completed';
    outer: while (s.epoch < total) {
      if (s.batch === 0 || !s.order) {
        s.order = Array.from(epochOrder(this.data.train.count, cfg.shuffle ? this.rng : null));
        s.sums = {};
        s.epochSeconds = 0;
        s.batch = 0;
      }
      const lr = learningRate(cfg, s.epoch);
      while (s.batch < batches) {
        if (opts.signal?.aborted) {
          outcome = 'interrupted';
          break outer;
        }
        const t0 = performance.now();
        const batch = makeBatch(this.data.train, s.order, s.batch, cfg.batchSize, cfg.noiseStd, this.rng);
        const labeled = this.nextLabeledBatch();
        const losses = this.model.trainStep(batch, labeled, lr, this.rng);
        this.model.weightAverage?.update();
        for (const [phase, v] of Object.entries(losses)) {
          if (!Number.isFinite(v)) throw new DivergenceError(phase, s.epoch, s.batch, v);
          s.sums[phase] = (s.sums[phase] ?? 0) + v;
        }
        s.batch += 1;
        s.epochSeconds += (performance.now() - t0) / 1000;
        await emit('onBatchEnd', { epoch: s.epoch, batch: s.batch, batches, losses }, this);
        if (s.batch % yieldEvery === 0) await yieldToEventLoop();
      }
      const t0 = performance.now();
      const metrics: EpochMetrics = { epoch: s.epoch, lr, seconds: 0 };
      for (const [phase, sum] of Object.entries(s.sums)) metrics[`train_${phase}`] = sum / batches;
      // Every evalEvery-th epoch and the last one; the others' rows hold the train losses only.
      const test = (s.epoch + 1) % cfg.evalEvery === 0 || s.epoch + 1 === total ? this.evaluate(opts.evalSize) : {};
      for (const [k, v] of Object.entries(test)) {
        // The last batch's update can leave non-finite weights behind finite losses.
        if (!Number.isFinite(v)) throw new DivergenceError(`test evaluation (${k})`, s.epoch, batches - 1, v);
      }
      Object.assign(metrics, test);
      metrics.seconds = s.epochSeconds + (performance.now() - t0) / 1000;
      s.history.push(metrics);
      s.epoch += 1;
      s.batch = 0;
      s.order = null;
      await emit('onEpochEnd', metrics, this);
    }
    await emit('onTrainEnd', this, outcome);
    return outcome;
  }
}
