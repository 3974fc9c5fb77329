/**
 * SGD with momentum exactly as TensorFlow 1's MomentumOptimizer (use_nesterov false):
 *   accum = momentum * accum + g;  w -= lr * accum
 * The AAE paper trains every phase this way. Same interface as Adam (minimize/apply, state for a
 * checkpoint: `m` holds the accumulators, `v` is empty), so a model takes either per config.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GradientOptimizer, type OptimizerState } from './optimizer';
import { ConfigError } from '../errors';

export class Momentum extends GradientOptimizer {
  t = 0;
  private readonly accum: tf.Variable[];

  constructor(
    vars: tf.Variable[],
    readonly momentum = 0.9,
  ) {
    super(vars);
    if (!(momentum >= 0 && momentum < 1)) throw new ConfigError(`Momentum: momentum must be in [0, 1), got ${momentum}`);
    this.accum = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
  }

  /** Applies gradients (keyed by variable name) at learning rate lr; throws if no variable has one. */
  apply(grads: tf.NamedTensorMap, lr: number): void {
    if (!this.vars.some((x) => grads[x.name])) throw new Error('Momentum: the loss reaches none of the variables');
    this.t += 1;
    this.vars.forEach((x, i) => {
      const g = grads[x.name];
      // As TensorFlow's apply_gradients, a variable without a gradient is left alone.
      if (!g) return;
      tf.tidy(() => {
        const a = tf.add(tf.mul(this.accum[i], this.momentum), g);
        this.accum[i].assign(a);
        x.assign(tf.sub(x, tf.mul(a, lr)));
      });
    });
  }

  getState(): OptimizerState {
    return { t: this.t, m: this.accum.map((x) => x.dataSync() as Float32Array), v: [] };
  }

  setState(s: OptimizerState): void {
    if (s.m.length !== this.accum.length) throw new Error(`Momentum state has ${s.m.length} slots, the optimizer has ${this.accum.length}`);
    this.t = s.t;
    tf.tidy(() => this.accum.forEach((x, i) => x.assign(tf.tensor(s.m[i], x.shape))));
  }

  dispose(): void {
    tf.dispose(this.accum);
  }
}
