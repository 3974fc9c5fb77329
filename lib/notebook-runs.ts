/**
 * The notebooks' runs: quick mode (env AAE_QUICK=1: tiny settings for the tests), the folders their
 * trained models live in, and "train or load": a model whose checkpoint already matches the
 * notebook's parameters is loaded instead of trained again, so later notebooks and re-runs reuse it.
 * Showing things in a notebook is lib/display/jupyter.ts's job.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeConfig, type AAEConfig, type ConfigOverrides, type PresetName } from './models/config';
import type { Mnist } from './data/mnist';
import type { Dataset } from './data/dataset';
import { configForData, createExperiment, resumeExperiment, type Experiment } from './train/setup';
import { loadDataset } from './data/sources';
import { CHECKPOINT_FILE, CheckpointError, readCheckpoint, trainWithCheckpoints } from './train/checkpoint';
import type { EpochMetrics, TrainCallbacks } from './train/trainer';
import type { NetworkSet } from './models';
import { settleDisplays } from './display/jupyter';

/** True when the environment asks for quick mode (AAE_QUICK=1, true or yes). */
export function isQuickMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['1', 'true', 'yes'].includes((env.AAE_QUICK ?? '').trim().toLowerCase());
}

/** The settings quick mode puts over a notebook's parameters: seconds per notebook, not a result. */
export const QUICK_SETTINGS = {
  /** First N training images. */
  trainSize: 1000,
  nHidden: 64,
  epochs: 1,
  /** Test images used for metrics and figures. */
  evalSize: 500,
} as const;

export interface NotebookParams {
  /** The notebook's config overrides (model, prior, nZ, epochs, seed, ...) over the preset; `prior` may be a Prior object. */
  config: ConfigOverrides;
  preset?: PresetName;
  /** Test images for metrics and figures (default: all 10,000). */
  evalSize?: number;
}

export interface ResolvedParams {
  quick: boolean;
  config: AAEConfig;
  /** Test images for metrics and figures. */
  evalSize: number;
}

/**
 * A notebook's parameters made concrete: the preset with the notebook's overrides, and in quick
 * mode the quick settings on top (trainSize, nHidden, epochs, evalSize).
 */
export function notebookParams(p: NotebookParams, quick = isQuickMode()): ResolvedParams {
  const overrides: ConfigOverrides = { ...p.config };
  let evalSize = p.evalSize ?? 10000;
  if (quick) {
    overrides.trainSize = QUICK_SETTINGS.trainSize;
    overrides.nHidden = QUICK_SETTINGS.nHidden;
    overrides.epochs = QUICK_SETTINGS.epochs;
    evalSize = Math.min(evalSize, QUICK_SETTINGS.evalSize);
  }
  return { quick, config: makeConfig(overrides, p.preset ?? 'fast'), evalSize };
}

/**
 * Folder of a notebook run: `<runs>/full/<name>`, or `<runs>/quick/<name>` in quick mode, so quick
 * runs never overwrite the models of full runs. `<runs>` is env AAE_RUNS_ROOT when set (the notebook
 * tests use a fresh one), else `runs` in the working folder, which in a notebook is its own folder.
 */
export function runDir(name: string, quick = isQuickMode(), runsRoot = process.env.AAE_RUNS_ROOT || path.join(process.cwd(), 'runs')): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new RangeError(`run name "${name}" must be letters, digits, '.', '_' or '-' (it names a folder)`);
  }
  return path.join(runsRoot, quick ? 'quick' : 'full', name);
}

/** The config fields that decide what a model is; `epochs` is left out (a shorter run can be continued). */
function identity(cfg: AAEConfig): string {
  const { epochs: _epochs, ...rest } = cfg;
  const sorted = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify(sorted);
}

/** The config fields in which two configs differ, as "field: a → b". */
export function configDifferences(a: AAEConfig, b: AAEConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const k of keys) {
    const va = JSON.stringify((a as unknown as Record<string, unknown>)[k]);
    const vb = JSON.stringify((b as unknown as Record<string, unknown>)[k]);
    if (va !== vb) out.push(`${k}: ${va} → ${vb}`);
  }
  return out;
}

export type TrainOrLoadSource = 'loaded' | 'resumed' | 'trained';

export interface TrainedRun {
  experiment: Experiment;
  /** loaded = the checkpoint was complete; resumed = it was continued to the asked epochs; trained = from scratch. */
  source: TrainOrLoadSource;
  file: string;
  /** One row per trained epoch (train losses, test metrics, seconds), across every session. */
  history: EpochMetrics[];
}

export interface TrainOrLoadOptions {
  /** Training display and other callbacks (only called when training happens). */
  callbacks?: TrainCallbacks | TrainCallbacks[];
  /** Test images for the per-epoch metrics (default: all). */
  evalSize?: number;
  /** The loaded data set (MNIST or another) to share between runs of one notebook (default: the config's, loaded here). */
  mnist?: Mnist | Dataset;
  /**
   * Networks by role (any tfjs-layers model or Network), as createExperiment's `networks`; the roles
   * left out get the config's built-in networks. A checkpoint of networks passed by value is loaded
   * or continued only with the same networks passed again.
   */
  networks?: NetworkSet;
  /** Stops training after the current batch; the checkpoint then holds the exact position. */
  signal?: AbortSignal;
  /**
   * When the folder holds a checkpoint of a different model (other config): 'error' (default)
   * stops with the differences named, 'retrain' trains a new model over it.
   */
  onMismatch?: 'error' | 'retrain';
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
}

/**
 * The model of `cfg` from `dir`/checkpoint.aae if that checkpoint holds the same model trained for
 * at least cfg.epochs; continued from it if it holds the same model trained for fewer epochs;
 * otherwise trained from scratch. Training saves the checkpoint after every epoch (an interrupted
 * run resumes where it stopped) and at the end.
 */
export async function trainOrLoad(cfg: AAEConfig, dir: string, opts: TrainOrLoadOptions = {}): Promise<TrainedRun> {
  // A config of another data set takes its shape and class names now, as its checkpoint holds them.
  const data = opts.mnist ?? (cfg.dataset !== undefined ? loadDataset(cfg.dataset) : undefined);
  if (data) cfg = configForData(cfg, data);
  const file = path.join(dir, CHECKPOINT_FILE);
  const log = opts.log ?? ((s: string) => console.log(s));
  // Progress lines name the checkpoint relative to the working folder (the notebook's), so the
  // saved outputs of a notebook do not carry the path of the machine that ran it.
  const rel = path.relative(process.cwd(), file);
  const shown = rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
  let exp: Experiment | null = null;
  let source: TrainOrLoadSource = 'trained';
  if (fs.existsSync(file)) {
    const { header } = readCheckpoint(file);
    const diff = configDifferences(header.config, cfg).filter((d) => !d.startsWith('epochs:'));
    if (identity(header.config) === identity(cfg)) {
      const done = header.trainer?.epoch ?? 0;
      const midEpoch = (header.trainer?.batch ?? 0) > 0;
      exp = resumeExperiment(file, {}, { mnist: data, networks: opts.networks }, cfg.epochs);
      if (done >= cfg.epochs && !midEpoch) {
        source = 'loaded';
        log(`loaded ${shown} (${done} epoch${done === 1 ? '' : 's'} trained)`);
      } else {
        source = 'resumed';
        log(`continuing ${shown} from epoch ${done + 1}${midEpoch ? `, batch ${header.trainer!.batch + 1}` : ''} to ${cfg.epochs}`);
      }
    } else if (opts.onMismatch === 'retrain') {
      log(`${shown} holds another model (${diff.join('; ')}): training a new one over it`);
    } else {
      throw new CheckpointError(`${file} holds a model trained with other parameters (${diff.join('; ')}); ` + 'delete that folder, give this run another name, or pass onMismatch: "retrain"');
    }
  }
  if (!exp) {
    exp = createExperiment(cfg, { mnist: data, networks: opts.networks });
    // two lines: a notebook's output area wraps long lines mid-word
    log(`training ${cfg.model} AAE (prior ${cfg.prior}, n_z ${cfg.nZ}, ${cfg.epochs} epoch${cfg.epochs === 1 ? '' : 's'})\n  into ${shown}`);
  }
  if (source !== 'loaded') {
    const e = exp;
    const user = opts.callbacks ? (Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks]) : [];
    const outcome = await trainWithCheckpoints(e, file, {
      epochs: cfg.epochs,
      evalSize: opts.evalSize,
      signal: opts.signal,
      callbacks: user,
      meta: () => ({ savedBy: 'trainOrLoad' }),
    });
    if (outcome === 'interrupted') {
      throw new Error(`training interrupted; ${file} holds the exact position, run again to continue`);
    }
  }
  if (source !== 'loaded') await settleDisplays(); // the training displays' last updates
  return { experiment: exp, source, file, history: exp.trainer.history };
}
