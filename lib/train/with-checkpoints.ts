/** Training with a checkpoint after every epoch, and one at the exact position when stopped. */
import type { Experiment } from '../experiment';
import { saveCheckpoint } from './checkpoint';
import type { TrainCallbacks, TrainOutcome } from './trainer';

export interface FolderTrainOptions {
  /** Train up to this many epochs in all. */
  epochs: number;
  evalSize?: number;
  signal?: AbortSignal;
  callbacks?: TrainCallbacks[];
  /** Written into every checkpoint. */
  meta?: () => Record<string, unknown>;
  /** Called after every checkpoint (the CLI writes metrics.json). */
  afterSave?: () => void;
}

/**
 * Trains `exp` with a checkpoint in `ckptFile` after every epoch and, when the signal stops it,
 * one at the exact position reached. A DivergenceError (NaN or Inf loss) propagates and leaves the
 * last good checkpoint (end of the last finished epoch) as it is.
 */
export async function trainWithCheckpoints(exp: Experiment, ckptFile: string, opts: FolderTrainOptions): Promise<TrainOutcome> {
  const save = () => {
    saveCheckpoint(ckptFile, exp.model, exp.trainer.snapshot(), opts.meta?.() ?? {});
    opts.afterSave?.();
  };
  const outcome = await exp.trainer.run({
    epochs: opts.epochs,
    signal: opts.signal,
    evalSize: opts.evalSize,
    callbacks: [...(opts.callbacks ?? []), { onEpochEnd: save }],
  });
  if (outcome === 'interrupted') save();
  return outcome;
}
