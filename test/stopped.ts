/** A run stopped part-way, for the exact-resume tests. */
import { createExperiment } from '../lib/train/setup';
import type { AAEConfig } from '../lib/models';
import type { TrainOutcome } from '../lib/train/trainer';

/** A new run of `cfg` trained until batch `batch` (counted from 1) of its first epoch, then stopped by its AbortSignal. */
export async function trainStopped(cfg: AAEConfig, batch: number): Promise<{ run: ReturnType<typeof createExperiment>; outcome: TrainOutcome }> {
  const run = createExperiment(cfg);
  const ctrl = new AbortController();
  const outcome = await run.trainer.run({
    evalSize: 200,
    signal: ctrl.signal,
    callbacks: {
      onBatchEnd: (i) => {
        if (i.epoch === 0 && i.batch === batch) ctrl.abort();
      },
    },
  });
  return { run, outcome };
}
