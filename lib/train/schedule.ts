/** The learning-rate schedule: a rate per epoch, and the --lr-drop that moves its first drop. */
import { ConfigError } from '../errors';
import type { AAEConfig, LrStep } from '../models/config';

/**
 * A schedule that keeps the first learning rate of `schedule` until `epoch`, then uses its second one
 * (the presets' first drop, e.g. 1e-3 to 1e-4, moved to `epoch`); later drops stay where they are if
 * they come after `epoch`: --lr-drop on the command line.
 */
export function lrDropAt(schedule: readonly LrStep[], epoch: number): LrStep[] {
  if (!Number.isInteger(epoch) || epoch < 1) throw new ConfigError(`the learning-rate drop must be at an epoch >= 1, got ${String(epoch)}`);
  if (schedule.length < 2) throw new ConfigError('lrDropAt: the schedule has no drop to move');
  return [
    { from: 0, lr: schedule[0].lr },
    { from: epoch, lr: schedule[1].lr },
    ...schedule
      .slice(2)
      .filter((s) => s.from > epoch)
      .map((s) => ({ ...s })),
  ];
}

/** The epoch from which the schedule's learning rate is first below its starting one (null: it never drops). */
export function lrDropEpoch(schedule: readonly LrStep[]): number | null {
  return schedule.find((s) => s.from > 0 && s.lr < schedule[0].lr)?.from ?? null;
}

/**
 * The learning rate of an epoch (counted from 0): the schedule's step that has begun, or with
 * lrDecay 'cosine' its first rate times (1 + cos(pi * epoch / epochs)) / 2 (epochs past the run's
 * last keep the last epoch's rate).
 */
export function learningRate(cfg: Pick<AAEConfig, 'lrSchedule' | 'lrDecay' | 'epochs'>, epoch: number): number {
  if (cfg.lrDecay === 'cosine') {
    const e = Math.min(epoch, cfg.epochs - 1);
    return (cfg.lrSchedule[0].lr * (1 + Math.cos((Math.PI * e) / cfg.epochs))) / 2;
  }
  let lr = cfg.lrSchedule[0].lr;
  for (const s of cfg.lrSchedule) if (epoch >= s.from) lr = s.lr;
  return lr;
}
