/**
 * A running (exponential) average of weights, the temporal averaging of the Adam paper (Kingma &
 * Ba, section 7.2) and TensorFlow's ExponentialMovingAverage: after every training step
 *   decay_t = min(decay, (1 + t) / (10 + t));  average = decay_t average + (1 - decay_t) weight
 * (t counts the updates, so the first ones follow the weights closely). Evaluation can run on the
 * averages (`use`): they are swapped into the weights' variables and swapped back afterwards, which
 * restores the weights bit for bit. Its state (t, the averages) is part of a checkpoint.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface WeightAverageState {
  t: number;
  averages: Float32Array[];
}

export class WeightAverage {
  t = 0;
  private readonly averages: tf.Variable[];
  /** How deep `use` calls are nested (only the outermost swaps). */
  private depth = 0;

  constructor(
    readonly vars: tf.Variable[],
    readonly decay: number,
  ) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`WeightAverage: decay must be in (0, 1), got ${decay}`);
    this.averages = vars.map((x) => tf.tidy(() => tf.variable(x.clone(), false)));
  }

  /** The decay of the next update. */
  private decayNow(): number {
    return Math.min(this.decay, (1 + this.t) / (10 + this.t));
  }

  /** One step of the average towards the current weights. */
  update(): void {
    if (this.depth > 0) throw new Error('WeightAverage: update inside use (the weights are the averages there)');
    const d = this.decayNow();
    this.t += 1;
    tf.tidy(() => {
      this.averages.forEach((a, i) => a.assign(tf.add(a, tf.mul(tf.sub(this.vars[i], a), 1 - d))));
    });
  }

  /** Exchanges the weights and their averages. */
  private swap(): void {
    tf.tidy(() => {
      this.vars.forEach((x, i) => {
        const w = x.clone();
        x.assign(this.averages[i]);
        this.averages[i].assign(w);
      });
    });
  }

  /** Runs `fn` with the averages in the weights' place; the weights are back afterwards (also when fn throws). Calls may nest. */
  use<T>(fn: () => T): T {
    if (this.depth === 0) this.swap();
    this.depth += 1;
    try {
      return fn();
    } finally {
      this.depth -= 1;
      if (this.depth === 0) this.swap();
    }
  }

  getState(): WeightAverageState {
    return { t: this.t, averages: this.averages.map((a) => (a.dataSync() as Float32Array).slice()) };
  }

  setState(s: WeightAverageState): void {
    if (s.averages.length !== this.averages.length) throw new RangeError(`WeightAverage: ${s.averages.length} averages for ${this.averages.length} weights`);
    this.t = s.t;
    tf.tidy(() => this.averages.forEach((a, i) => a.assign(tf.tensor(s.averages[i], a.shape))));
  }

  dispose(): void {
    tf.dispose(this.averages);
  }
}
