/**
 * The library's front door: `experiment()` builds a typed experiment from settings, `load()` reads
 * one back from its file. An Experiment trains (`fit`, with callbacks and an AbortSignal), encodes,
 * decodes, classifies, samples, draws its figures and saves itself. The backend is initialised on
 * first use (the fastest available, reported once), so no call can be forgotten.
 *
 *   const exp = await experiment({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2 });
 *   await exp.fit({ onEpochEnd: (m) => console.log(m) });
 *   const codes = exp.encode(exp.data.test.images);
 */
import { ensureBackend, type BackendInfo } from '../backend';
import { ConfigError } from '../errors';
import { Rng } from '../random';
import type { Dataset } from '../data/dataset';
import type { ImageSet, Mnist } from '../data/mnist';
import {
  makeConfig,
  MODEL_NAMES,
  type AAEConfig,
  type ConfigOverrides,
  type ModelName,
  type NetworkSet,
  type NetworkValue,
  type PresetName,
  type SemiSupervisedAAE,
  type SupervisedAAE,
} from '../models';
import { drawPrior, type Prior } from '../priors';
import { createExperiment, resumeExperiment, type Experiment as Run } from '../train/setup';
import { saveCheckpoint } from '../train/checkpoint';
import type { BatchInfo, EpochMetrics, TrainCallbacks, TrainData, Trainer, TrainOutcome } from '../train/trainer';
import { experimentFigures, type ExperimentFigureOptions, type NamedFigure } from '../figures/experiment';
import { writeFigure } from '../display/render';

/** The model class a model name builds: supervised and unsupervised share one, semi-supervised and clustering another. */
export type ModelOf<M extends ModelName> = M extends 'supervised' | 'unsupervised' ? SupervisedAAE : SemiSupervisedAAE;

/** What `experiment()` takes: the model, a preset to start from (default 'fast') and any config field. */
export type ExperimentSettings<M extends ModelName = ModelName> = Omit<ConfigOverrides, 'model'> & { model: M; preset?: PresetName };

/** The data and networks of an experiment, besides its settings. */
export interface ExperimentOptions {
  /**
   * The images: a data set's name as `--dataset` takes it ('mnist', 'fashion-mnist',
   * 'cifar10:DIR', a folder of IDX files), or a Dataset (loadDataset, datasetFromArrays).
   * Default: the settings' `dataset`, else MNIST.
   */
  dataset?: string | Dataset | Mnist;
  /**
   * Networks by role (encoder, decoder, discriminator / zDiscriminator, yDiscriminator): tfjs-layers
   * models or Networks, or functions that build one (called once the backend is ready, so a network
   * can be defined before anything is initialised); the roles left out are built in.
   */
  networks?: NetworkChoices;
}

/** A network, or a function that builds one. */
export type NetworkChoice = NetworkValue | (() => NetworkValue);
export type NetworkChoices = { [K in keyof NetworkSet]?: NetworkChoice };

/** The networks with every builder called (after the backend is ready). */
function buildNetworks(choices: NetworkChoices | undefined): NetworkSet | undefined {
  if (choices === undefined || choices === null || typeof choices !== 'object') return choices as NetworkSet | undefined;
  return Object.fromEntries(Object.entries(choices).map(([role, v]) => [role, typeof v === 'function' ? (v as () => NetworkValue)() : v])) as NetworkSet;
}

/** What `load()` takes besides the file. */
export interface LoadOptions<M extends ModelName = ModelName> extends ExperimentOptions {
  /** The model the file must hold (else an error naming both); also types the result. */
  model?: M;
  /** A prior of your own the checkpoint was trained with (built-in and registered priors are found by name). */
  prior?: Prior;
}

export interface FitOptions {
  /** Epochs in all, counting those already trained (default: the config's `epochs`). */
  epochs?: number;
  /** Called after every epoch with its metrics (train losses, val_ and test_ metrics, seconds). */
  onEpochEnd?: (metrics: EpochMetrics) => void | Promise<void>;
  /** Called after every batch with its losses. */
  onBatchEnd?: (info: BatchInfo) => void | Promise<void>;
  /** More callbacks (onTrainStart, onBatchEnd, onEpochEnd, onTrainEnd), e.g. a notebook's progress display. */
  callbacks?: TrainCallbacks | TrainCallbacks[];
  /** Stops after the current batch when aborted; `fit` then resolves with outcome 'interrupted' and can be called again to continue. */
  signal?: AbortSignal;
  /** Saves the experiment to this file after every epoch (written atomically: the last good file survives a crash or a full disk). */
  checkpoint?: string;
  /** Evaluates on the first N validation and test images only (default: all). */
  evalSize?: number;
}

export interface FitResult {
  outcome: TrainOutcome;
  /** Epochs trained in all. */
  epochs: number;
  /** One row per epoch trained, this call's and earlier ones'. */
  history: EpochMetrics[];
}

export interface Samples {
  /** n images of the data set's shape, flattened, values in [0, 1]. */
  images: Float32Array;
  /** The n codes (n * n_z values) they were decoded from. */
  codes: Float32Array;
  /** Each code's mode (supervised: the prior's mode, decoded as that class) or label (semi-supervised, clustering: drawn uniformly). */
  labels: Uint8Array;
}

const FIT_OPTIONS = ['epochs', 'onEpochEnd', 'onBatchEnd', 'callbacks', 'signal', 'checkpoint', 'evalSize'];

function checkKeys(what: string, o: object, valid: readonly string[]): void {
  if (o === null || typeof o !== 'object') throw new TypeError(`${what} must be an object, got ${String(o)}`);
  for (const k of Object.keys(o)) if (!valid.includes(k)) throw new ConfigError(`${what}: unknown option "${k}"; valid options: ${valid.join(', ')}`);
}

/** A data set given by name goes into the config (so a saved experiment knows it); MNIST's configs stay as they were. */
function dataOf(over: ConfigOverrides, dataset: ExperimentOptions['dataset']): Dataset | Mnist | undefined {
  if (typeof dataset !== 'string') return dataset;
  if (over.dataset !== undefined && over.dataset !== dataset) throw new ConfigError(`experiment: settings.dataset "${over.dataset}" and options.dataset "${dataset}" differ; give one`);
  if (dataset !== 'mnist') over.dataset = dataset;
  return undefined;
}

/**
 * An AAE with its data and training state; `M` is its model's name. With a running average of the
 * weights (settings.weightAverage), encode, decode, reconstruct, classify, sample, evaluate and the
 * figures use the averaged weights, as training's metrics do; `model` holds the trained weights.
 */
export class Experiment<M extends ModelName = ModelName> {
  readonly config: AAEConfig;
  readonly model: ModelOf<M>;
  /** The splits it trains and evaluates on (train, validation, test; labeled for the semi-supervised model). */
  readonly data: TrainData;
  readonly trainer: Trainer;

  constructor(run: Run) {
    this.config = run.config;
    this.model = run.model as ModelOf<M>;
    this.data = run.data;
    this.trainer = run.trainer;
  }

  /** Narrows the type: `if (exp.is('semi_supervised')) exp.classify(images)`. */
  is<K extends ModelName>(model: K): this is Experiment<K> {
    return (this.config.model as ModelName) === model;
  }

  /** Metrics per epoch trained. */
  get history(): EpochMetrics[] {
    return this.trainer.history;
  }

  /** Epochs trained so far. */
  get epochs(): number {
    return this.trainer.history.length;
  }

  /** Trains up to `epochs` epochs in all (default: the config's), from where it stands. */
  async fit(opts: FitOptions = {}): Promise<FitResult> {
    checkKeys('fit options', opts, FIT_OPTIONS);
    const cbs: TrainCallbacks[] = opts.callbacks ? (Array.isArray(opts.callbacks) ? [...opts.callbacks] : [opts.callbacks]) : [];
    const own: TrainCallbacks = {};
    if (opts.onEpochEnd) own.onEpochEnd = (m) => opts.onEpochEnd!(m);
    if (opts.onBatchEnd) own.onBatchEnd = (b) => opts.onBatchEnd!(b);
    const file = opts.checkpoint;
    if (file !== undefined && (typeof file !== 'string' || file === '')) throw new TypeError(`fit: checkpoint must be a file path, got ${String(file)}`);
    if (file) {
      const user = own.onEpochEnd;
      own.onEpochEnd = async (m, t) => {
        this.save(file);
        await user?.(m, t);
      };
    }
    await ensureBackend();
    const outcome = await this.trainer.run({ epochs: opts.epochs, signal: opts.signal, evalSize: opts.evalSize, callbacks: [own, ...cbs] });
    // An interrupted run's file holds the exact position, so that fit continues it after load().
    if (file && outcome === 'interrupted') this.save(file);
    return { outcome, epochs: this.epochs, history: this.history };
  }

  /** Codes of n flattened images (n * pixels values in [0, 1]): n * n_z values (semi-supervised: the style). */
  encode(images: Float32Array): Float32Array {
    return this.model.withAveragedWeights(() => this.model.encode(images));
  }

  /** Images decoded from n codes; the semi-supervised and clustering models take a label per code (default 0). */
  decode(codes: Float32Array, labels?: ArrayLike<number>): Float32Array {
    return this.model.withAveragedWeights(() => this.model.decode(codes, labels));
  }

  /** The images encoded and decoded again (dropout off). */
  reconstruct(images: Float32Array): Float32Array {
    return this.model.withAveragedWeights(() => this.model.reconstruct(images));
  }

  /** The class of each image: the label head's argmax (clustering: the cluster's label taken from the validation split). */
  classify(this: Experiment<'semi_supervised' | 'clustering'>, images: Float32Array): Uint8Array {
    const model = this.model as SemiSupervisedAAE;
    if (!(model.kind === 'semi_supervised' || model.kind === 'clustering'))
      throw new ConfigError(`classify: the ${model.kind} model has no label head; the semi_supervised and clustering models have one`);
    return model.withAveragedWeights(() => model.classify(images, this.trainer.clusterLabels()));
  }

  /** n images decoded from codes drawn from the prior (seeded: the same seed, the same images). */
  sample(n: number, opts: { seed?: number } = {}): Samples {
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`sample: n must be a positive integer, got ${String(n)}`);
    const rng = new Rng(opts.seed ?? this.config.seed);
    const model = this.model as SupervisedAAE | SemiSupervisedAAE;
    if (model.kind === 'supervised' || model.kind === 'unsupervised') {
      const s = drawPrior(model.prior, n, this.config.nZ, rng, model.kind === 'supervised');
      return { images: model.withAveragedWeights(() => model.decode(s.z)), codes: s.z, labels: s.labels };
    }
    const s = drawPrior(model.prior, n, this.config.nZ, rng, false);
    const labels = new Uint8Array(n).map(() => rng.int((model as SemiSupervisedAAE).nClasses));
    return { images: model.withAveragedWeights(() => model.decode(s.z, labels)), codes: s.z, labels };
  }

  /** Validation and test metrics now (val_reconstruction, val_error, test_reconstruction, test_error, as the epochs record them). */
  evaluate(opts: { evalSize?: number } = {}): Record<string, number> {
    return this.trainer.evaluate(opts.evalSize);
  }

  /** The experiment's figures as Vega-Lite specs (restoration, latent scatter, prior samples, manifold, ...), by name. */
  figures(opts: ExperimentFigureOptions = {}): NamedFigure[] {
    return experimentFigures(this, opts).figures;
  }

  /** Writes each figure as `<dir>/<name>.png` (and `.svg` when small); returns the files written. */
  async saveFigures(dir: string, opts: ExperimentFigureOptions = {}): Promise<string[]> {
    const out: string[] = [];
    for (const f of this.figures(opts)) out.push(...(await writeFigure(f.staticSpec ?? f.spec, `${dir}/${f.name}`)));
    return out;
  }

  /** Writes config, weights and training state to `file` (atomically); `load(file)` continues exactly from here. */
  save(file: string): void {
    saveCheckpoint(file, this.model, this.trainer.snapshot());
  }

  /** Frees the model's tensors (networks passed by value are disposed too). */
  dispose(): void {
    this.model.dispose();
  }
}

/**
 * A new experiment: the preset `settings.preset` (default 'fast') with the settings' fields, the
 * data set of `options.dataset` (default MNIST) and any networks passed by value. Its model type
 * follows from `settings.model`.
 */
export async function experiment<M extends ModelName>(settings: ExperimentSettings<M>, options: ExperimentOptions = {}): Promise<Experiment<M>> {
  if (settings === null || typeof settings !== 'object') throw new TypeError(`experiment: settings must be an object with at least { model }, got ${String(settings)}`);
  if (!(MODEL_NAMES as readonly string[]).includes(settings.model)) throw new ConfigError(`experiment: settings.model must be one of ${MODEL_NAMES.join(', ')}, got ${String(settings.model)}`);
  checkKeys('experiment options', options, ['dataset', 'networks']);
  await ensureBackend();
  const { preset, ...over } = settings;
  const data = dataOf(over, options.dataset);
  const cfg = makeConfig(over, preset);
  return new Experiment<M>(createExperiment(cfg, { mnist: data, networks: buildNetworks(options.networks) }));
}

/**
 * Initialises the backend now (the fastest available, reported once) instead of on first use: for
 * code that makes tensors or tfjs-layers models before calling `experiment()`. Same as tfjs's
 * `tf.ready()`, but it lands on the fast path.
 */
export async function ready(): Promise<BackendInfo> {
  return ensureBackend();
}

/** An experiment read back from the file `save` (or `fit`'s checkpoint, or the CLI) wrote, ready to use or to `fit` further. */
export async function load<M extends ModelName = ModelName>(file: string, options: LoadOptions<M> = {}): Promise<Experiment<M>> {
  checkKeys('load options', options, ['dataset', 'networks', 'model', 'prior']);
  await ensureBackend();
  const data = typeof options.dataset === 'string' ? undefined : options.dataset;
  const run = resumeExperiment(file, { model: options.model, prior: options.prior }, { mnist: data, networks: buildNetworks(options.networks) });
  if (typeof options.dataset === 'string' && (run.config.dataset ?? 'mnist') !== options.dataset) {
    run.model.dispose(true);
    throw new ConfigError(`load: ${file} was trained on ${run.config.dataset ?? 'mnist'}, not ${options.dataset}`);
  }
  return new Experiment<M>(run);
}

/** Images of a split as one Float32Array, for encode/reconstruct/classify: `images(exp.data.test, 100)` (the first 100). */
export function images(set: ImageSet, count = set.count): Float32Array {
  if (!Number.isInteger(count) || count < 1 || count > set.count) throw new ConfigError(`images: count must be an integer from 1 to ${set.count}, got ${String(count)}`);
  return set.images.subarray(0, (count * set.images.length) / set.count);
}
