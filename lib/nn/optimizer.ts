/** What every phase's optimizer shares: loss and gradients in one pass, then its own update. */
import * as tf from '@tensorflow/tfjs-core';
// Gradients of every op (tfjs-core registers them only on request).
import '@tensorflow/tfjs';

/** An optimizer's state for a checkpoint: step count and per-variable slots (`v` empty if unused). */
export interface OptimizerState {
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

export abstract class GradientOptimizer {
  constructor(readonly vars: tf.Variable[]) {}

  /** Applies gradients (keyed by variable name, as tf.variableGrads returns them) at learning rate lr. */
  abstract apply(grads: tf.NamedTensorMap, lr: number): void;
  abstract getState(): OptimizerState;
  abstract setState(s: OptimizerState): void;
  abstract dispose(): void;

  /** Computes loss and gradients for `vars`, applies them, and returns the loss (before the update). */
  minimize(loss: () => tf.Scalar, lr: number): number {
    const { value, grads } = tf.variableGrads(loss, this.vars);
    try {
      const out = value.dataSync()[0];
      this.apply(grads, lr);
      return out;
    } finally {
      value.dispose();
      tf.dispose(grads);
    }
  }
}

/** Learning rate from epoch `from` on (entries sorted by `from`, the first at 0): a schedule is a list of these. */
export interface LrStep {
  from: number;
  lr: number;
}
