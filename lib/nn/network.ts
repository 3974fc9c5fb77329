/**
 * Networks as values. The models take their encoder, decoder and discriminators as `Network`s: the
 * built-in MLP (lib/nn/layers.ts, the original's dense + relu + dropout, on the native fast path),
 * or any `@tensorflow/tfjs-layers` model wrapped by `LayersNetwork` (convolutional layers, batch
 * norm, whatever tfjs-layers offers). Every network maps rows to rows: a batch of flat inputs
 * [batch, inputs] to [batch, outputs]; a layers model whose input is an image ([h, w, c]) gets the
 * rows reshaped to it, and an output of any shape is flattened back to rows. The phases train the
 * trainable variables with the project's optimizers (lib/nn/adam.ts, momentum.ts) and checkpoints
 * save every weight by its stable name.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs';
import type { Dropout } from './layers';
import { ConfigError } from '../errors';
import { missingConvKernels } from './nets';

export interface Network {
  /** What it is, for messages and checkpoints: 'mlp' (built-in) or 'layers' (a tfjs-layers model). */
  readonly kind: string;
  /** Width of an input row and of an output row. */
  readonly inputs: number;
  readonly outputs: number;
  /**
   * Output rows of input rows x [batch, inputs]. `drop`: the built-in MLP's dropout (the config's
   * keep_prob; null at evaluation); `training`: training-time behaviour of a layers model (its own
   * dropout layers, batch norm on batch statistics and moving-statistics updates).
   */
  apply(x: tf.Tensor2D, drop: Dropout | null, training?: boolean): tf.Tensor2D;
  /** The variables the optimizers update. */
  readonly variables: tf.Variable[];
  /** Every weight by stable name, trainable or not (batch-norm statistics too): what checkpoints save. */
  weights(): [string, tf.Variable][];
  /** One line: the layers and their sizes. */
  describe(): string;
  dispose(): void;
}

/** A snake_case name of a layer class, as Keras names layers: Conv2DTranspose -> conv2d_transpose. */
function snake(className: string): string {
  return className
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

const shapeText = (s: readonly (number | null)[]) => s.slice(1).join('x');

/** A model's single input or output shape (without the batch axis), every size known. */
function fixedShape(name: string, what: 'input' | 'output', shapes: (number | null)[][]): number[] {
  if (shapes.length !== 1) throw new ConfigError(`${name}: a network takes one input and gives one output; this tfjs-layers model has ${shapes.length} ${what}s`);
  const s = shapes[0].slice(1);
  if (s.some((d) => d === null || !(d > 0))) {
    throw new ConfigError(`${name}: the model's ${what} shape ${shapeText(shapes[0]).replace(/null/g, '?')} has a size left open; give every size (e.g. inputShape: [28, 28, 1])`);
  }
  return s as number[];
}

/**
 * A tfjs-layers model as a Network named `name` ('encoder', 'decoder', ...). Its weights are
 * named `<name>/<layer>/<weight>`, where <layer> is the layer's class in snake_case numbered
 * within the model in order (`dense_1`, `conv2d_1`, `conv2d_2`, `batch_normalization_1`, as Keras
 * names them), not tfjs's process-wide layer names (`dense_Dense7`), so the same architecture built
 * again has the same names and loads the same checkpoint. Its trainable weights' variables are
 * trained by the project's optimizers; non-trainable ones (batch-norm moving statistics) are saved
 * too. The project's dropout (keep_prob) is for the built-in MLP: a layers model brings its own.
 */
export class LayersNetwork implements Network {
  readonly kind = 'layers';
  readonly inputs: number;
  readonly outputs: number;
  readonly inputShape: number[];
  private readonly named: [string, tf.Variable][];
  private readonly trainable: tf.Variable[];

  constructor(
    readonly name: string,
    readonly model: tfl.LayersModel,
  ) {
    if (!model || typeof model !== 'object' || typeof (model as { apply?: unknown }).apply !== 'function' || !Array.isArray((model as { layers?: unknown }).layers)) {
      throw new ConfigError(`${name}: expected a tfjs-layers model (tf.sequential or tf.model) or a Network, got ${model === null ? 'null' : typeof model}`);
    }
    this.inputShape = fixedShape(
      name,
      'input',
      model.inputs.map((t) => t.shape),
    );
    const out = fixedShape(
      name,
      'output',
      model.outputs.map((t) => t.shape),
    );
    this.inputs = tf.util.sizeFromShape(this.inputShape);
    this.outputs = tf.util.sizeFromShape(out);
    const counts = new Map<string, number>();
    this.named = [];
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      const cls = snake(layer.getClassName());
      const k = (counts.get(cls) ?? 0) + 1;
      counts.set(cls, k);
      const shorts = layer.weights.map((w) => w.originalName.split('/').pop() ?? 'w');
      layer.weights.forEach((w, j) => {
        const short = shorts.indexOf(shorts[j]) === shorts.lastIndexOf(shorts[j]) ? shorts[j] : `${j}_${shorts[j]}`;
        this.named.push([`${name}/${cls}_${k}/${short}`, w.read() as tf.Variable]);
      });
    }
    const trainable = new Set(model.trainableWeights.map((w) => w.read()));
    this.trainable = this.named.map(([, v]) => v).filter((v) => trainable.has(v));
  }

  get variables(): tf.Variable[] {
    return this.trainable;
  }

  weights(): [string, tf.Variable][] {
    return this.named;
  }

  apply(x: tf.Tensor2D, _drop: Dropout | null, training = false): tf.Tensor2D {
    return tf.tidy(() => {
      const input = this.inputShape.length === 1 ? x : tf.reshape(x, [x.shape[0], ...this.inputShape]);
      const y = this.model.apply(input, { training }) as tf.Tensor;
      return (y.rank === 2 ? y : tf.reshape(y, [y.shape[0], this.outputs])) as tf.Tensor2D;
    });
  }

  /** The kernels its layers need for training that the active backend lacks (conv layers on tfjs 4.22's wasm: Conv2DBackpropFilter). */
  missingKernels(): string[] {
    return this.model.layers.some((l) => /^Conv2D/.test(l.getClassName())) ? missingConvKernels() : [];
  }

  describe(): string {
    const layers = this.model.layers.map((l) => {
      const out = l.outputShape as (number | null)[];
      return `${snake(l.getClassName())}${Array.isArray(out) && !Array.isArray(out[0]) ? ` ${shapeText(out)}` : ''}`;
    });
    return `tfjs-layers ${shapeText([null, ...this.inputShape])} -> ${layers.join(' -> ')}`;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Is v a Network (has the interface's methods), rather than a tfjs-layers model to wrap? */
export function isNetwork(v: unknown): v is Network {
  const n = v as Partial<Network> | null;
  return !!n && typeof n === 'object' && typeof n.weights === 'function' && typeof n.describe === 'function' && typeof n.apply === 'function' && typeof n.inputs === 'number';
}

/** A network given by value: a Network as it is, a tfjs-layers model wrapped as LayersNetwork(name). */
export function toNetwork(name: string, v: Network | tfl.LayersModel): Network {
  return isNetwork(v) ? v : new LayersNetwork(name, v);
}

/** Throws a ConfigError unless `net` (the network `name`) maps rows of `inputs` to rows of `outputs` values. */
export function checkWidths(name: string, net: Network, inputs: number, outputs: number, why: string): void {
  if (net.inputs !== inputs || net.outputs !== outputs) {
    throw new ConfigError(`${name}: this model needs ${inputs} inputs and ${outputs} outputs (${why}); the network given has ${net.inputs} inputs and ${net.outputs} outputs (${net.describe()})`);
  }
}
