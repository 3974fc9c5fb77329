/**
 * A run's config from its command line, for both CLIs: the settings table's values on the command's
 * preset, checked across options before any work; with --resume, the checkpoint's config, which
 * every option given must agree with.
 */
import { PRESETS, makeConfig, type AAEConfig, type ModelName, type PresetName } from '../models';
import { checkPrior, checkPriorModes, type PriorName } from '../priors';
import { DIGIT_NAMES } from '../data/dataset';
import { readCheckpoint } from '../train/checkpoint';
import { epochsReached } from '../train/setup';
import { COMMAND_MODEL, SETTINGS, checkResumeSettings, configOverrides, refuseOtherModels, resumeFields, type CommandName, type SettingValues } from '../settings/table';
import { UsageError } from './common';

/** Rethrows a ConfigError (or any validation error) of `f` as a UsageError. */
function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError((e as Error).message);
  }
}

/** Cross-option checks, before any work: each failure names the option, the value and the valid choices. */
export function resolveConfig(command: CommandName, o: SettingValues): AAEConfig {
  const preset = o.preset as PresetName;
  const model = command === 'aae' ? (o.model as ModelName) : COMMAND_MODEL[command];
  usage(() => refuseOtherModels(o, model, `not of --model ${model}`));
  if (o.lrDecay === 'cosine' && o.lrDrop !== undefined) {
    throw new UsageError(`--lr-drop ${String(o.lrDrop)} does not go with --lr-decay cosine, which lowers the rate every epoch; leave one of them out`);
  }
  const prior = (o.prior as PriorName | undefined) ?? PRESETS[preset].prior;
  const nZ = command === 'prior-match' ? 2 : ((o.n_z as number | undefined) ?? PRESETS[preset].nZ);
  try {
    checkPrior(prior, nZ, model === 'supervised');
  } catch (e) {
    throw new UsageError(`--n_z ${nZ} does not fit --prior ${prior}${model === 'supervised' ? ' with --model supervised' : ''}: ${(e as Error).message}`);
  }
  // the supervised model: a prior sample's mode is a class label (MNIST's ten classes here; another
  // data set's classes are known once it is read: configForData checks them then, before any work)
  const mnist = o.dataset === undefined || o.dataset === 'mnist';
  if (model === 'supervised' && mnist) usage(() => checkPriorModes(prior, DIGIT_NAMES.length));
  const labeledFrom = (o.labeledFrom as string | undefined) ?? PRESETS[preset].labeledFrom;
  const batchSize = (o.batchSize as number | undefined) ?? PRESETS[preset].batchSize;
  const trainSize = (o.trainSize as number | undefined) ?? 55000;
  // Another data set's sizes are checked against its splits once it is read (checkDataFits).
  if (!mnist) return usage(() => makeConfig({ ...configOverrides(o, preset), model, prior, nZ }, preset));
  if (trainSize < batchSize) {
    throw new UsageError(
      `--train-size ${trainSize} is smaller than the batch size ${batchSize}${o.batchSize === undefined ? ` (the ${preset} preset's)` : ''}; valid: ${batchSize} to 55000, or a smaller --batch-size`,
    );
  }
  const labels = o.labels as number | undefined;
  if (labels !== undefined) {
    const max = labeledFrom === 'validation' ? 5000 : trainSize;
    if (labels > max) {
      throw new UsageError(
        `--labels ${labels} is larger than the ${labeledFrom === 'validation' ? 'validation set' : 'training set'}; valid: 1 to ${max}${labeledFrom === 'validation' ? ' (or --labeled-from balanced for up to the training-set size)' : ''}`,
      );
    }
    if (labeledFrom === 'balanced' && labels % 10 !== 0) {
      throw new UsageError(`--labels ${labels} must be a multiple of 10 with --labeled-from balanced (N/10 per class)`);
    }
  }
  return usage(() => makeConfig({ ...configOverrides(o, preset), model, prior, nZ }, preset));
}

/**
 * --resume: the run's config is the checkpoint's (with --epochs as the new total, if given). Every
 * option given on the command line (`given(key)`) must agree with it; so must a --preset's settings.
 * Reads the checkpoint without loading it.
 */
export function resumeConfig(command: CommandName, ckptFile: string, o: SettingValues, given: (key: string) => boolean): AAEConfig {
  const { config: saved, trainer } = readCheckpoint(ckptFile).header;
  usage(() => refuseOtherModels(o, saved.model, `and the checkpoint ${ckptFile} holds a ${saved.model} model`, given));
  const trained = trainer ? epochsReached(trainer) : 0;
  const epochs = o.epochs as number | undefined;
  if (epochs !== undefined && epochs < trained) {
    const max = SETTINGS.find((s) => s.key === 'epochs')!.parse as { max: number };
    throw new UsageError(`--resume: --epochs ${epochs} is below the ${trained} epochs the checkpoint ${ckptFile} has trained; valid: ${trained} to ${max.max}`);
  }
  usage(() => checkResumeSettings(saved, o, given, ckptFile));
  if (saved.lrDecay === 'cosine' && epochs !== undefined && epochs !== saved.epochs) {
    throw new UsageError(
      `--resume: --epochs ${epochs} would change the learning rates of the checkpoint ${ckptFile}, whose cosine decay is laid out over ${saved.epochs} epochs; valid: --epochs ${saved.epochs} (or leave it out), or start a new run`,
    );
  }
  if (given('preset')) {
    const cli = resolveConfig(command, o);
    const compared = resumeFields(given);
    // The data set's shape and classes come from its files, not from options.
    const fromData: (keyof AAEConfig)[] = ['epochs', 'imageShape', 'classNames'];
    const differs = (Object.keys(saved) as (keyof AAEConfig)[]).filter((f) => !fromData.includes(f) && !compared.includes(f) && JSON.stringify(saved[f]) !== JSON.stringify(cli[f]));
    if (differs.length > 0) {
      throw new UsageError(`--resume: --preset ${String(o.preset)} does not match the checkpoint ${ckptFile} (it differs in ${differs.join(', ')}); leave --preset out`);
    }
  }
  return epochs !== undefined ? { ...saved, epochs } : saved;
}
