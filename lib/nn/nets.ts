/**
 * The shipped convolutional networks, as tfjs-layers models (wrap them with LayersNetwork, or pass
 * them to createExperiment's `networks`): an encoder of two strided 5x5 convolutions and a dense
 * layer, and its mirror, a decoder of a dense layer and two strided 5x5 transposed convolutions
 * with a sigmoid output. For 28x28x1 (MNIST): 28x28x1 -> 14x14x32 -> 7x7x64 -> n and back. Weights
 * are Glorot-uniform with seeds drawn from `rng`, so a seeded config builds the same weights.
 */
import * as tfl from '@tensorflow/tfjs';
import { Rng } from '../random';
import { ConfigError, checkPositiveInt } from '../errors';

/** An image shape [height, width, channels]. */
export type LayersShape = [number, number, number];

function checkShape(what: string, s: unknown): asserts s is LayersShape {
  if (!Array.isArray(s) || s.length !== 3 || !s.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ConfigError(`${what}: an image shape is [height, width, channels] of positive integers, got ${JSON.stringify(s)}`);
  }
}

export interface ConvOptions {
  /** Filters of the two convolutions (the decoder mirrors them). Default [32, 64]. */
  filters?: [number, number];
  /** Kernel size. Default 5. */
  kernelSize?: number;
  /** Seeds of the initializers. Default Rng(0). */
  rng?: Rng;
}

const init = (rng: Rng) => tfl.initializers.glorotUniform({ seed: rng.seed() });

/** The options with their defaults. */
const settings = (opts: ConvOptions) => ({ filters: opts.filters ?? [32, 64], k: opts.kernelSize ?? 5, rng: opts.rng ?? new Rng(0) });

/** The conv encoder: image [h, w, c] -> conv kxk/2 relu (filters[0]) -> conv kxk/2 relu (filters[1]) -> flatten -> dense `outputs` (linear). */
export function convEncoder(inputShape: LayersShape, outputs: number, opts: ConvOptions = {}): tfl.Sequential {
  checkShape('convEncoder', inputShape);
  checkPositiveInt('convEncoder outputs', outputs, 100000);
  const { filters, k, rng } = settings(opts);
  const [f1, f2] = filters;
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape, filters: f1, kernelSize: k, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(rng) }),
      tfl.layers.conv2d({ filters: f2, kernelSize: k, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(rng) }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: outputs, kernelInitializer: init(rng) }),
    ],
  });
}

/**
 * The transposed-conv decoder: `inputs` -> dense to (h/4 x w/4 x filters[1]) relu -> transposed conv
 * kxk/2 relu (filters[0]) -> transposed conv kxk/2 sigmoid (c) -> image [h, w, c] (cropped when h or
 * w is not a multiple of 4).
 */
export function convDecoder(inputs: number, outputShape: LayersShape, opts: ConvOptions = {}): tfl.Sequential {
  checkShape('convDecoder', outputShape);
  checkPositiveInt('convDecoder inputs', inputs, 100000);
  const { filters, k, rng } = settings(opts);
  const [f1, f2] = filters;
  const [h, w, c] = outputShape;
  const h4 = Math.ceil(h / 4);
  const w4 = Math.ceil(w / 4);
  const layers: tfl.layers.Layer[] = [
    tfl.layers.dense({ inputShape: [inputs], units: h4 * w4 * f2, activation: 'relu', kernelInitializer: init(rng) }),
    tfl.layers.reshape({ targetShape: [h4, w4, f2] }),
    tfl.layers.conv2dTranspose({ filters: f1, kernelSize: k, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(rng) }),
    tfl.layers.conv2dTranspose({ filters: c, kernelSize: k, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: init(rng) }),
  ];
  if (4 * h4 !== h || 4 * w4 !== w)
    layers.push(
      tfl.layers.cropping2D({
        cropping: [
          [0, 4 * h4 - h],
          [0, 4 * w4 - w],
        ],
      }),
    );
  return tfl.sequential({ layers });
}

/** The conv kernels a backend must have to train convolutional networks (tfjs 4.22's wasm lacks Conv2DBackpropFilter). */
export const CONV_TRAINING_KERNELS = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const;

/** The conv training kernels the active backend lacks (empty: conv networks train here). */
export function missingConvKernels(): string[] {
  const backend = tfl.getBackend();
  return CONV_TRAINING_KERNELS.filter((k) => !tfl.getKernel(k, backend));
}
