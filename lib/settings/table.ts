/**
 * The one table of run settings. Each row is one option of the command lines: its flag, the config
 * field it sets, its parser and range, its help text, which commands take it, which models it
 * applies to (the others refuse it), whether `--resume` must match it and what it adds to result
 * file names. Both CLIs build their options from this table (lib/cli/options.ts), and so do the
 * resume check, the refusals of other models' options, the help defaults and the result-name
 * variants (runVariant, used by lib/eval/results.ts).
 *
 * A new setting: one row here and its field in the config (AAEConfig and the presets).
 */
import {
  PRESETS,
  PRESET_NAMES,
  MODEL_NAMES,
  NETWORK_NAMES,
  LABELED_SOURCES,
  MAX_LABELED_SHIFT,
  MAX_SEED,
  LR_DECAYS,
  MAX_HIDDEN_LAYERS,
  MAX_HIDDEN_UNITS,
  hiddenText,
  type AAEConfig,
  type ModelName,
  type PresetName,
} from '../models/config';
import { lrDropAt, lrDropEpoch } from '../train/schedule';
import { isPriorName, priorChoices } from '../priors';
import { BACKEND_NAMES } from '../backend';
import { ConfigError } from '../errors';
import { DATASET_CHOICES, checkDatasetSpec, datasetNamePart } from '../data/sources';
import { ELASTIC_SIGMA } from '../data/batches';

/** The commands that take settings: `aae` and the training commands of `aae-results`. */
export const COMMANDS = ['aae', 'classify', 'cluster', 'prior-match'] as const;
export type CommandName = (typeof COMMANDS)[number];
const TRAINING: readonly CommandName[] = COMMANDS;
const RESULTS: readonly CommandName[] = ['classify', 'cluster', 'prior-match'];

/** The preset each command starts from unless --preset says otherwise. */
export const COMMAND_PRESET: Record<CommandName, PresetName> = { aae: 'fast', classify: 'paper', cluster: 'paper', 'prior-match': 'fast' };
/** The model each aae-results command trains (aae takes --model). */
export const COMMAND_MODEL: Record<Exclude<CommandName, 'aae'>, ModelName> = { classify: 'semi_supervised', cluster: 'clustering', 'prior-match': 'supervised' };

/**
 * How an option's value is read: an integer or number in [min, max], a list of 1 to maxItems integers
 * in [min, max] separated by commas (layer sizes), one of some choices, a boolean, a path or a bare flag.
 */
export type Parser =
  | { kind: 'int'; min: number; max: number }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'ints'; min: number; max: number; maxItems: number }
  | { kind: 'choice'; choices: readonly string[]; accepts?: (v: string) => boolean }
  | { kind: 'bool' }
  /** Any text; `check` (if given) throws an Error saying why a value is not valid. */
  | { kind: 'string'; check?: (v: string) => void }
  | { kind: 'flag' };

export interface Setting {
  /** The option's key in the parsed options (commander's attribute name). */
  key: string;
  /** The flag as commander takes it, e.g. '--labels <n>' (absent: a config field in result names that no option sets). */
  flag?: string;
  /** The config field it sets. */
  field?: keyof AAEConfig;
  parse: Parser;
  help: string;
  commands: readonly CommandName[];
  /** The models it applies to (absent: all); an option given for another model is refused. */
  models?: readonly ModelName[];
  /** A command's own default (absent: the preset's value of the field, or none). */
  defaults?: Partial<Record<CommandName, string | number | boolean>>;
  /** Commands where the option must be given. */
  mandatory?: readonly CommandName[];
  /** --resume: a value given must match the checkpoint's config. */
  resume?: boolean;
  /** The option value a config stands for (default: its field): for the help defaults and the resume check. */
  value?: (cfg: Readonly<AAEConfig>) => unknown;
  /** The config overrides of a value (default: { [field]: value }; a row without a field sets the config only through this). */
  toConfig?: (v: never, ctx: { preset: PresetName; epochs: number | undefined }) => Partial<AAEConfig>;
  /** What the setting adds to result file names (absent: nothing). */
  name?: (cfg: Partial<AAEConfig>, presets: readonly PresetName[]) => string;
  /** Sets up training: `aae-results --from` (which measures a trained model) refuses it. */
  training?: boolean;
}

const int = (min: number, max: number): Parser => ({ kind: 'int', min, max });
const num = (min: number, max: number): Parser => ({ kind: 'number', min, max });
const choice = (choices: readonly string[]): Parser => ({ kind: 'choice', choices });

/**
 * A result-name part for a setting the original runs never changed: the value, after `tag`, when it
 * differs from the original's (the paper-sgd preset's for SGD runs), so the names of earlier runs stay as they are.
 */
/** The config fields that hold a number. */
type NumberField = { [K in keyof AAEConfig]-?: AAEConfig[K] extends number ? K : never }[keyof AAEConfig];

/** Whether one of `presets` has the run's value (`same` compares a preset's config with it): a name part then adds nothing. */
function presetHas(presets: readonly PresetName[], same: (preset: AAEConfig) => boolean): boolean {
  return presets.some((p) => same(PRESETS[p]));
}

function variant(field: NumberField, tag: string) {
  return (cfg: Partial<AAEConfig>): string => {
    const v = cfg[field];
    if (v === undefined) return '';
    const base = PRESETS[cfg.optimizer === 'momentum' ? 'paper-sgd' : 'original'][field];
    return v === base ? '' : `-${tag}${v}`;
  };
}

/** --lr-drop as a schedule: the preset's first drop moved to that epoch; it must come before the last epoch. */
export function lrScheduleFor(preset: PresetName, lrDrop: number, epochs: number | undefined): AAEConfig['lrSchedule'] {
  const total = epochs ?? PRESETS[preset].epochs;
  if (total === 1) {
    throw new ConfigError(`--lr-drop ${lrDrop}: a run of 1 epoch has no learning-rate drop; leave --lr-drop out, or give --epochs ${lrDrop + 1} or more`);
  }
  if (lrDrop >= total) {
    throw new ConfigError(`--lr-drop ${lrDrop} is not before the last epoch of ${total}${epochs === undefined ? ` (the ${preset} preset's)` : ''}; valid: 1 to ${total - 1}`);
  }
  return lrDropAt(PRESETS[preset].lrSchedule, lrDrop);
}

const SEMI: readonly ModelName[] = ['semi_supervised'];

export const SETTINGS: readonly Setting[] = [
  { key: 'model', flag: '--model <name>', field: 'model', parse: choice(MODEL_NAMES), help: 'which AAE', commands: ['aae'], defaults: { aae: 'semi_supervised' }, resume: true },
  {
    key: 'prior',
    flag: '--prior <name>',
    field: 'prior',
    // the registered priors (read when the options are built) and the built-ins with K modes (K: 2 to 256)
    parse: {
      kind: 'choice',
      get choices() {
        return priorChoices();
      },
      accepts: isPriorName,
    },
    help: 'target prior of the latent code (<name>:K: that prior with K modes, e.g. gaussian_mixture:16)',
    commands: ['aae', 'prior-match'],
    defaults: { aae: 'gaussian' },
    mandatory: ['prior-match'],
    resume: true,
  },
  {
    key: 'dataset',
    flag: '--dataset <name>',
    // No `field`: the config's dataset field is optional (absent for MNIST), set by toConfig.
    parse: { kind: 'string', check: checkDatasetSpec },
    help: `the data set: ${DATASET_CHOICES}; README "Data sets" (default mnist)`,
    commands: TRAINING,
    resume: true,
    value: (cfg) => cfg.dataset ?? 'mnist',
    // MNIST's configs hold no dataset field (as before the option existed), nor do its result names.
    toConfig: (v: string) => (v === 'mnist' ? {} : { dataset: v }),
    name: (cfg) => datasetNamePart(cfg.dataset),
    training: true,
  },
  {
    key: 'n_z',
    flag: '--n_z <n>',
    field: 'nZ',
    parse: int(1, 1000),
    help: 'latent (style) dimensions',
    commands: ['aae', 'classify', 'cluster'],
    resume: true,
    // (clustering and prior-match names hold n_z already: they leave this part out)
    name: (cfg, presets) => (cfg.nZ === undefined || presetHas(presets, (p) => p.nZ === cfg.nZ) ? '' : `-z${cfg.nZ}`),
    training: true,
  },
  { key: 'preset', flag: '--preset <name>', parse: choice(PRESET_NAMES), help: presetHelp(), commands: TRAINING, defaults: COMMAND_PRESET, training: true },
  { key: 'epochs', flag: '--epochs <n>', field: 'epochs', parse: int(1, 100000), help: 'training epochs (with --resume: the new total)', commands: TRAINING, training: true },
  {
    key: 'lrDrop',
    flag: '--lr-drop <epoch>',
    field: 'lrSchedule',
    parse: int(1, 100000),
    help: "epoch from which the learning rate drops to the preset's next one, 1e-4 (paper-sgd: its rates / 10)",
    commands: TRAINING,
    resume: true,
    value: (cfg) => lrDropEpoch(cfg.lrSchedule),
    toConfig: (v: number, ctx) => ({ lrSchedule: lrScheduleFor(ctx.preset, v, ctx.epochs) }),
    // runs that differ only in the drop do not share a result file; a preset's own drop needs no part
    name: (cfg, presets) => {
      const drop = cfg.lrSchedule ? lrDropEpoch(cfg.lrSchedule) : null;
      return drop === null || presetHas(presets, (p) => lrDropEpoch(p.lrSchedule) === drop) ? '' : `-ld${drop}`;
    },
    training: true,
  },
  {
    key: 'lrDecay',
    flag: '--lr-decay <kind>',
    field: 'lrDecay',
    parse: choice(LR_DECAYS),
    help: "how the learning rate falls: step (the preset's rates, dropping at --lr-drop) or cosine (from the first rate to 0 along half a cosine over the run's epochs; excludes --lr-drop)",
    commands: TRAINING,
    resume: true,
    name: (cfg) => (cfg.lrDecay === 'cosine' ? '-cos' : ''),
    training: true,
  },
  {
    key: 'batchSize',
    flag: '--batch-size <n>',
    field: 'batchSize',
    parse: int(1, 5000),
    help: 'batch size',
    commands: TRAINING,
    resume: true,
    name: (cfg, presets) => (cfg.batchSize === undefined || presetHas(presets, (p) => p.batchSize === cfg.batchSize) ? '' : `-bs${cfg.batchSize}`),
    training: true,
  },
  {
    key: 'hidden',
    flag: '--hidden <sizes>',
    field: 'nHidden',
    parse: { kind: 'ints', min: 1, max: Math.min(20000, MAX_HIDDEN_UNITS), maxItems: MAX_HIDDEN_LAYERS },
    help: "hidden layers of every built-in MLP (encoder, decoder, discriminators): N = two layers of N units (the original's), or the units of each layer, e.g. 500,250",
    commands: TRAINING,
    resume: true,
    // One text for a config's sizes and the option's: 1000 (also for 1000,1000) or 500,250.
    value: (cfg) => hiddenText(cfg.nHidden),
    // a name part for sizes other than the run's preset's (any preset's, when the preset is not known)
    name: (cfg, presets) => (cfg.nHidden === undefined || presetHas(presets, (p) => hiddenText(p.nHidden) === hiddenText(cfg.nHidden!)) ? '' : `-h${hiddenText(cfg.nHidden).replace(/,/g, 'x')}`),
    toConfig: (v: string) => ({ nHidden: v.includes(',') ? v.split(',').map(Number) : Number(v) }),
    training: true,
  },
  {
    key: 'networks',
    flag: '--networks <name>',
    field: 'networks',
    parse: choice(NETWORK_NAMES),
    help: 'built-in networks: mlp (every network an MLP, the original) or conv (conv encoder 5x5/2 32, 5x5/2 64, dense; transposed-conv decoder; MLP discriminators)',
    commands: TRAINING,
    resume: true,
    name: (cfg) => (cfg.networks && cfg.networks !== 'mlp' ? `-${cfg.networks}` : ''),
    training: true,
  },
  // The optimizer comes with the preset (paper-sgd: SGD + momentum); result names tell SGD runs apart
  // (rows add their parts to a name in table order).
  { key: 'optimizer', field: 'optimizer', parse: choice(['adam', 'momentum']), help: 'optimizer', commands: [], name: (cfg) => (cfg.optimizer === 'momentum' ? '-sgd' : '') },
  {
    key: 'clusters',
    flag: '--clusters <k>',
    field: 'clusters',
    parse: int(2, 1000),
    help: 'clustering: the number of clusters, the width of the categorical head (the AAE paper: 16 or 30)',
    commands: ['aae', 'cluster'],
    models: ['clustering'],
    defaults: { cluster: 16 },
    resume: true,
    training: true,
  },
  {
    key: 'headBalance',
    flag: '--head-balance <w>',
    field: 'headBalance',
    parse: num(0, 100),
    help: 'semi-supervised and clustering: weight of the balance regulariser of the categorical head, w * (log K - entropy of the batch mean of its class or cluster probabilities), in the generator phase (0: none, as the paper)',
    commands: ['aae', 'classify', 'cluster'],
    models: ['semi_supervised', 'clustering'],
    resume: true,
    name: (cfg) => (cfg.headBalance ? `-hb${cfg.headBalance}` : ''),
    training: true,
  },
  {
    key: 'headConsistency',
    flag: '--head-consistency <w>',
    field: 'headConsistency',
    parse: num(0, 100),
    help: 'semi-supervised and clustering: weight of the consistency regulariser of the categorical head, w * the cross-entropy of its probabilities for the batch moved by up to 2 pixels against those for the batch, in the generator phase (0: none, as the paper)',
    commands: ['aae', 'classify', 'cluster'],
    models: ['semi_supervised', 'clustering'],
    resume: true,
    name: (cfg) => (cfg.headConsistency ? `-hc${cfg.headConsistency}` : ''),
    training: true,
  },
  {
    key: 'consistencyRotate',
    flag: '--consistency-rotate <deg>',
    field: 'consistencyRotate',
    parse: num(0, 90),
    help: 'with --head-consistency: the largest turn (degrees) of the images the head must agree with; with --consistency-scale, 0 for both moves them by whole pixels (±2), otherwise each image is turned, scaled and moved (up to ±2 px) by its own random amounts and resampled bilinearly',
    commands: ['aae', 'classify', 'cluster'],
    models: ['semi_supervised', 'clustering'],
    resume: true,
    name: (cfg) => (cfg.consistencyRotate ? `-cr${cfg.consistencyRotate}` : ''),
    training: true,
  },
  {
    key: 'consistencyScale',
    flag: '--consistency-scale <s>',
    field: 'consistencyScale',
    parse: num(0, 0.99),
    help: 'with --head-consistency: the largest relative scaling of the images the head must agree with, each by its own factor in [1 - s, 1 + s] (see --consistency-rotate)',
    commands: ['aae', 'classify', 'cluster'],
    models: ['semi_supervised', 'clustering'],
    resume: true,
    name: (cfg) => (cfg.consistencyScale ? `-cs${cfg.consistencyScale}` : ''),
    training: true,
  },
  {
    key: 'labels',
    flag: '--labels <n>',
    field: 'nLabeled',
    parse: int(1, 55000),
    help: 'semi-supervised: labeled examples (balanced: a multiple of 10; 55000 = all)',
    commands: ['aae', 'classify'],
    models: SEMI,
    defaults: { classify: 1000 },
    resume: true,
    training: true,
  },
  {
    key: 'labeledFrom',
    flag: '--labeled-from <src>',
    field: 'labeledFrom',
    parse: choice(LABELED_SOURCES),
    help: 'semi-supervised: validation (first N validation images, the original) or balanced (N/10 per class from the training set)',
    commands: ['aae', 'classify'],
    models: SEMI,
    defaults: { classify: 'balanced' },
    resume: true,
    // semi-supervised runs only (the field is unused otherwise)
    name: (cfg, presets) => (cfg.model !== 'semi_supervised' || cfg.labeledFrom === undefined || presetHas(presets, (p) => p.labeledFrom === cfg.labeledFrom) ? '' : `-lf${cfg.labeledFrom}`),
    training: true,
  },
  {
    key: 'labeledNoise',
    flag: '--labeled-noise <std>',
    field: 'labeledNoiseStd',
    parse: num(0, 10),
    help: 'semi-supervised: std of the Gaussian input noise on the labeled batches of the cross-entropy phase (0: clean, as the original)',
    commands: ['aae', 'classify'],
    models: SEMI,
    resume: true,
    name: (cfg) => (cfg.labeledNoiseStd ? `-ln${cfg.labeledNoiseStd}` : ''),
    training: true,
  },
  {
    key: 'labeledShift',
    flag: '--labeled-shift <px>',
    field: 'labeledShift',
    parse: int(0, MAX_LABELED_SHIFT),
    help: 'semi-supervised: largest random translation (pixels per axis) of the labeled images of the cross-entropy phase (0: unmoved, as the original)',
    commands: ['aae', 'classify'],
    models: SEMI,
    resume: true,
    name: (cfg) => (cfg.labeledShift ? `-ls${cfg.labeledShift}` : ''),
    training: true,
  },
  {
    key: 'labeledRotate',
    flag: '--labeled-rotate <deg>',
    field: 'labeledRotate',
    parse: num(0, 90),
    help: 'semi-supervised: the largest turn (degrees) of the labeled images of the cross-entropy phase; with --labeled-scale, 0 for both moves them by whole pixels only (--labeled-shift), otherwise each image is turned, scaled and moved (up to --labeled-shift px) by its own random amounts and resampled bilinearly',
    commands: ['aae', 'classify'],
    models: SEMI,
    resume: true,
    name: (cfg) => (cfg.labeledRotate ? `-lrot${cfg.labeledRotate}` : ''),
    training: true,
  },
  {
    key: 'labeledScale',
    flag: '--labeled-scale <s>',
    field: 'labeledScale',
    parse: num(0, 0.99),
    help: 'semi-supervised: the largest relative scaling of the labeled images of the cross-entropy phase, each by its own factor in [1 - s, 1 + s] (see --labeled-rotate)',
    commands: ['aae', 'classify'],
    models: SEMI,
    resume: true,
    name: (cfg) => (cfg.labeledScale ? `-lsc${cfg.labeledScale}` : ''),
    training: true,
  },
  {
    key: 'labeledElastic',
    flag: '--labeled-elastic <px>',
    field: 'labeledElastic',
    parse: num(0, 100),
    help: 'semi-supervised: the strength (alpha, pixels) of an elastic distortion of the labeled images of the cross-entropy phase, each image its own random displacement field smoothed by a Gaussian of --labeled-elastic-sigma pixels (0: none); on top of the turn, scaling and move, resampled bilinearly',
    commands: ['aae', 'classify'],
    models: SEMI,
    resume: true,
    name: (cfg) => (cfg.labeledElastic ? `-lel${cfg.labeledElastic}` : ''),
    training: true,
  },
  {
    key: 'labeledElasticSigma',
    flag: '--labeled-elastic-sigma <px>',
    field: 'labeledElasticSigma',
    parse: num(0.5, 20),
    help: 'semi-supervised: the width (pixels) of the Gaussian that smooths the elastic distortion of the labeled images (see --labeled-elastic)',
    commands: ['aae', 'classify'],
    models: SEMI,
    resume: true,
    name: (cfg) => (cfg.labeledElastic && cfg.labeledElasticSigma !== ELASTIC_SIGMA ? `-les${cfg.labeledElasticSigma}` : ''),
    training: true,
  },
  {
    key: 'dLrFactor',
    flag: '--d-lr-factor <x>',
    field: 'dLrFactor',
    parse: num(0.0001, 1000),
    help: 'the discriminators learn at lr times this',
    commands: TRAINING,
    resume: true,
    name: variant('dLrFactor', 'dlr'),
    training: true,
  },
  {
    key: 'generatorLrFactor',
    flag: '--generator-lr-factor <x>',
    field: 'generatorLrFactor',
    parse: num(0.0001, 1000),
    help: 'the generator phase learns at lr times this',
    commands: TRAINING,
    resume: true,
    name: variant('generatorLrFactor', 'glr'),
    training: true,
  },
  {
    key: 'crossEntropyLrFactor',
    flag: '--cross-entropy-lr-factor <x>',
    field: 'crossEntropyLrFactor',
    parse: num(0.0001, 1000),
    help: 'semi-supervised: the cross-entropy phase learns at lr times this',
    commands: ['aae', 'classify'],
    models: SEMI,
    resume: true,
    name: variant('crossEntropyLrFactor', 'celr'),
    training: true,
  },
  {
    key: 'keepProb',
    flag: '--keep-prob <p>',
    field: 'keepProb',
    parse: num(0.01, 1),
    help: 'dropout keep probability in training',
    commands: TRAINING,
    resume: true,
    name: variant('keepProb', 'kp'),
    training: true,
  },
  {
    key: 'inputNoise',
    flag: '--input-noise <std>',
    field: 'noiseStd',
    parse: num(0, 10),
    help: 'std of the Gaussian noise on the encoder input (0: no denoising)',
    commands: TRAINING,
    resume: true,
    name: variant('noiseStd', 'in'),
    training: true,
  },
  {
    key: 'weightAverage',
    flag: '--weight-average <decay>',
    field: 'weightAverage',
    parse: num(0, 0.99999),
    help: "decay of a running average of the encoder's and decoder's weights, updated every step; the validation and test metrics use the averaged weights (0: none, as the original; e.g. 0.999)",
    commands: TRAINING,
    resume: true,
    name: variant('weightAverage', 'wa'),
    training: true,
  },
  {
    key: 'trainSize',
    flag: '--train-size <n>',
    field: 'trainSize',
    parse: int(1, 55000),
    help: 'use only the first N training images',
    commands: TRAINING,
    resume: true,
    value: (cfg) => cfg.trainSize || 55000,
    name: (cfg) => (cfg.trainSize && cfg.trainSize !== 55000 ? `-ts${cfg.trainSize}` : ''),
    training: true,
  },
  {
    key: 'seed',
    flag: '--seed <n>',
    field: 'seed',
    parse: int(0, MAX_SEED),
    help: 'random seed (weights, training order, labeled subset)',
    commands: TRAINING,
    defaults: { aae: 0, classify: 0, cluster: 0, 'prior-match': 0 },
    resume: true,
  },
  {
    key: 'evalEvery',
    flag: '--eval-every <n>',
    field: 'evalEvery',
    parse: int(1, 100000),
    help: 'validation and test metrics after every N-th epoch and the last (the other epochs: train losses only)',
    commands: TRAINING,
    resume: true,
    training: true,
  },
  {
    key: 'evalSize',
    flag: '--eval-size <n>',
    parse: int(1, 10000),
    help: 'test images for the per-epoch metrics (default 10000; final results always use all 10,000)',
    commands: TRAINING,
    training: true,
  },
  { key: 'backend', flag: '--backend <name>', parse: choice(BACKEND_NAMES), help: 'tfjs backend (default: fastest available; env AAE_BACKEND)', commands: TRAINING },
  {
    key: 'resume',
    flag: '--resume',
    parse: { kind: 'flag' },
    help: 'continue the run from its checkpoint (settings come from the checkpoint; options given must agree with it, --epochs may raise the total; aae-results: with --epochs above a run of otherwise the same settings, that run is trained on into a run of its own, and stays as it is)',
    commands: TRAINING,
    defaults: { aae: false, classify: false, cluster: false, 'prior-match': false },
    training: true,
  },
  {
    key: 'force',
    flag: '--force',
    parse: { kind: 'flag' },
    help: 'overwrite an earlier run or result (without it, nothing earlier is overwritten)',
    commands: TRAINING,
    defaults: { aae: false, classify: false, cluster: false, 'prior-match': false },
  },
  { key: 'progress', flag: '--no-progress', parse: { kind: 'flag' }, help: 'no progress bar (when stderr is not a terminal: no progress lines)', commands: TRAINING },
  { key: 'out', flag: '--out <dir>', parse: { kind: 'string' }, help: 'output folder (default runs/<model>-<prior>-z<n_z>, then -<data set> for one other than mnist)', commands: ['aae'] },
  { key: 'PMLR', flag: '--PMLR [bool]', parse: { kind: 'bool' }, help: 'plot the manifold learning result (decoded 2-D latent grid)', commands: ['aae'], defaults: { aae: true } },
  { key: 'pmlr', flag: '--pmlr [bool]', parse: { kind: 'bool' }, help: 'same as --PMLR', commands: ['aae'] },
  { key: 'PARR', flag: '--PARR [bool]', parse: { kind: 'bool' }, help: 'semi-supervised: plot conditional generation (10 styles x 10 labels)', commands: ['aae'], defaults: { aae: true } },
  { key: 'parr', flag: '--parr [bool]', parse: { kind: 'bool' }, help: 'same as --PARR', commands: ['aae'] },
  {
    key: 'results',
    flag: '--results <dir>',
    parse: { kind: 'string' },
    help: 'folder of the result files',
    commands: RESULTS,
    defaults: { classify: 'results', cluster: 'results', 'prior-match': 'results' },
  },
  {
    key: 'runs',
    flag: '--runs <dir>',
    parse: { kind: 'string' },
    help: 'folder of the checkpoints',
    commands: RESULTS,
    defaults: { classify: 'runs', cluster: 'runs', 'prior-match': 'runs' },
    training: true,
  },
  {
    key: 'chosenOn',
    flag: '--chosen-on <split>',
    parse: choice(['validation', 'test']),
    help: "the split this run's settings were chosen on, recorded in its result file (screening reads val_error; choose on test only to say so)",
    commands: RESULTS,
    defaults: { classify: 'validation', cluster: 'validation', 'prior-match': 'validation' },
  },
  {
    key: 'from',
    flag: '--from <checkpoint>',
    parse: { kind: 'string' },
    help: 'measure a trained model (e.g. notebooks/runs/full/classify-N100-z10-ln0.5-ls2-seed0/checkpoint.aae) instead of training one',
    commands: ['classify', 'cluster', 'prior-match'],
  },
  {
    key: 'maxSamples',
    flag: '--max-samples <n>',
    parse: int(2, 10000),
    help: 'codes and prior samples used by the MMD estimate (seeded subsample)',
    commands: ['prior-match'],
    defaults: { 'prior-match': 2000 },
  },
];

function presetHelp(): string {
  return (
    'hyper-parameter preset: original (3000 units, 100 epochs, batch 128), fast (1000 units, 10 epochs, batch 100), paper (the AAE ' +
    "paper's semi-supervised setup: 1000 units, style n_z 10, batch 100, 1000 balanced labels, 100 epochs) or paper-sgd (paper with " +
    "the paper's SGD + momentum schedule instead of Adam)"
  );
}

/** The settings a command takes, in table order. */
export function settingsOf(command: CommandName): Setting[] {
  return SETTINGS.filter((s) => s.flag !== undefined && s.commands.includes(command));
}

/** The option name of a setting, e.g. '--labels' (for --no-progress: '--no-progress'). */
export function optionName(s: Setting): string {
  return (s.flag ?? `--${s.key}`).split(/[ <[]/)[0];
}

/** The option value a config stands for. */
export function settingValue(s: Setting, cfg: Readonly<AAEConfig>): unknown {
  if (s.value) return s.value(cfg);
  return s.field === undefined ? undefined : cfg[s.field];
}

/**
 * The help text's default: a command's own default is commander's to show; otherwise the preset's
 * value, for the command's preset first and then for the presets where it differs.
 */
export function helpDefault(s: Setting, command: CommandName): string {
  if (s.defaults?.[command] !== undefined || s.field === undefined || s.key === 'model' || s.key === 'prior') return '';
  const preset = COMMAND_PRESET[command];
  const shown = (p: PresetName) => {
    const v = settingValue(s, PRESETS[p]);
    return v === null ? 'none' : String(v);
  };
  const mine = shown(preset);
  const others = PRESET_NAMES.filter((p) => p !== preset && shown(p) !== mine).map((p) => `${p} ${shown(p)}`);
  return others.length ? ` (default ${mine}, the ${preset} preset's; ${others.join(', ')})` : ` (default ${mine})`;
}

/**
 * The part of a result file's name that tells its settings apart, e.g. `-sgd-ln0.3-ls2`. With the
 * run's preset and its command's own: the preset's name when it is another one (`-original`,
 * `-fast`; paper-sgd's runs have `-sgd`), and a part for every setting that differs from that
 * preset's. Without (a checkpoint made elsewhere), a value that some preset has (sizes, batch,
 * learning-rate drop, n_z, labeled images' source) adds nothing. So runs share a name only if their settings are the same. `omit`: rows
 * whose value the name holds otherwise (n_z in clustering and prior-match names).
 */
export function runVariant(cfg: Partial<AAEConfig>, preset?: PresetName | null, commandPreset?: PresetName, omit: readonly string[] = []): string {
  const presetPart = preset && commandPreset && preset !== commandPreset && preset !== 'paper-sgd' ? `-${preset}` : '';
  const presets = preset ? [preset] : PRESET_NAMES;
  return presetPart + SETTINGS.map((s) => (omit.includes(s.key) ? '' : (s.name?.(cfg, presets) ?? ''))).join('');
}

/**
 * The options that set what a run changed from its preset, e.g. `['--cross-entropy-lr-factor 2',
 * '--keep-prob 0.8']`: a row for every option whose result-name part is not empty (runVariant, so a
 * table row and its result name tell the same settings apart), `omit` leaving out rows shown
 * otherwise (a column of their own). Without a preset, a value some preset has adds nothing.
 */
export function changedOptions(cfg: Readonly<AAEConfig>, preset: PresetName | null, omit: readonly string[] = []): string[] {
  const presets = preset ? [preset] : PRESET_NAMES;
  return SETTINGS.filter((s) => s.flag !== undefined && !omit.includes(s.key) && (s.name?.(cfg, presets) ?? '') !== '').map((s) => {
    const v = settingValue(s, cfg);
    return `${optionName(s)} ${Array.isArray(v) ? v.join(',') : String(v)}`;
  });
}

/** Parsed options of a command: keys of the table. */
export type SettingValues = Record<string, unknown>;

/**
 * The options given for a model they do not apply to: one ConfigError naming them (`why` says
 * which model the run has).
 */
export function refuseOtherModels(values: SettingValues, model: ModelName, why: string, given: (key: string) => boolean = (k) => values[k] !== undefined): void {
  const bad = SETTINGS.filter((s) => s.models && !s.models.includes(model) && given(s.key) && values[s.key] !== undefined);
  const byModels = new Map<string, Setting[]>();
  for (const s of bad) byModels.set(s.models!.join(','), [...(byModels.get(s.models!.join(',')) ?? []), s]);
  for (const [models, rows] of byModels) {
    const shown = rows.map((s) => `${optionName(s)} ${String(values[s.key])}`).join(', ');
    const modelText = models === 'semi_supervised' ? 'the semi-supervised model' : `--model ${models.replace(/,/g, ' or ')}`;
    throw new ConfigError(`${shown}: ${rows.length === 1 ? 'an option' : 'options'} of ${modelText} only, ${why}; leave ${rows.length === 1 ? 'it' : 'them'} out`);
  }
}

/** The config overrides of the given values (everything else: the preset's). */
export function configOverrides(values: SettingValues, preset: PresetName): Partial<AAEConfig> {
  const out: Partial<AAEConfig> = {};
  for (const s of SETTINGS) {
    const v = values[s.key];
    if ((s.field === undefined && !s.toConfig) || v === undefined) continue;
    Object.assign(out, s.toConfig ? s.toConfig(v as never, { preset, epochs: values.epochs as number | undefined }) : { [s.field!]: v });
  }
  return out;
}

/**
 * --resume: every setting given (`given(key)`) that the checkpoint's config fixes must agree with it.
 * Throws a ConfigError naming the option, the value given and the checkpoint's.
 */
export function checkResumeSettings(saved: Readonly<AAEConfig>, values: SettingValues, given: (key: string) => boolean, ckptFile: string): void {
  for (const s of SETTINGS) {
    if (!s.resume || !given(s.key)) continue;
    const was = settingValue(s, saved);
    if (JSON.stringify(was) !== JSON.stringify(values[s.key])) {
      const flag = optionName(s);
      const wasText = was === null ? 'no value' : `${flag} ${String(was)}`;
      throw new ConfigError(`--resume: ${flag} ${String(values[s.key])} does not match the checkpoint ${ckptFile}, trained with ${wasText}; give that value or leave ${flag} out`);
    }
  }
}

/** The config fields that --resume compares for the options given. */
export function resumeFields(given: (key: string) => boolean): (keyof AAEConfig)[] {
  return SETTINGS.filter((s) => s.resume && s.field !== undefined && given(s.key)).map((s) => s.field!);
}
