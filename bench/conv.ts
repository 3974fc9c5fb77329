/**
 * The convolutional autoencoder of `npm run bench` (case `conv`), and its PyTorch twin
 * (bench/torch_conv.py) for a comparison on the same machine:
 *
 *   28x28x1 -> conv 5x5 stride 2, 32 filters, relu -> conv 5x5/2, 64, relu -> dense 2 ->
 *   dense 7*7*64, relu -> conv2dTranspose 5x5/2, 32, relu -> conv2dTranspose 5x5/2, 1, sigmoid;
 *   mean squared error against the input, Adam (lr 1e-3), batch 100.
 *
 * The model is a tfjs-layers model; its weights are trained by the project's Adam (lib/nn/adam.ts,
 * the native in-place update on wasm-blas) with the project's MSE.
 */
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../lib/nn/adam';
import { meanSquaredError } from '../lib/nn/losses';
import { epochOrder, makeBatch } from '../lib/data/batches';
import type { Mnist } from '../lib/data/mnist';
import { Rng } from '../lib/random';

/** The conv autoencoder for side x side x channels images (side divisible by 4), with `code` units in the middle. */
export function convAutoencoder(opts: { side?: number; channels?: number; code?: number; seed?: number } = {}): tf.Sequential {
  const side = opts.side ?? 28;
  const channels = opts.channels ?? 1;
  const code = opts.code ?? 2;
  const seed = opts.seed ?? 1;
  if (side % 4 !== 0) throw new Error(`convAutoencoder: the image side (${side}) must be divisible by 4`);
  const q = side / 4;
  let s = seed;
  const init = () => tf.initializers.glorotUniform({ seed: s++ });
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [side, side, channels], filters: 32, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: code, kernelInitializer: init() }));
  m.add(tf.layers.dense({ units: q * q * 64, activation: 'relu', kernelInitializer: init() }));
  m.add(tf.layers.reshape({ targetShape: [q, q, 64] }));
  m.add(tf.layers.conv2dTranspose({ filters: 32, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init() }));
  m.add(tf.layers.conv2dTranspose({ filters: channels, kernelSize: 5, strides: 2, padding: 'same', activation: 'sigmoid', kernelInitializer: init() }));
  return m;
}

/** The model's trainable weights as the tf.Variables the project's optimizers update. */
export function layersVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** One Adam step of the conv autoencoder per call, on MNIST training batches in order. */
export function convStepper(data: Mnist, batchSize = 100): { step(i: number): void; dispose(): void } {
  const rng = new Rng(3);
  const model = convAutoencoder();
  const opt = new Adam(layersVariables(model));
  const order = epochOrder(data.train.count, null);
  return {
    step: (i) => {
      const batch = makeBatch(data.train, order, i, batchSize, 0, rng);
      const x = tf.tensor4d(batch.x, [batchSize, 28, 28, 1]);
      opt.minimize(() => meanSquaredError(model.apply(x) as tf.Tensor, x), 1e-3);
      x.dispose();
    },
    dispose: () => {
      model.dispose();
      opt.dispose();
    },
  };
}

export interface TorchTiming {
  /** Median wall-clock ms per step and the single steps; median process CPU ms (all threads) per step. */
  ms: number;
  cpuMs: number;
  steps: number[];
  torch: string;
  threads: number;
}

/** The same step in PyTorch (bench/torch_conv.py with /usr/bin/python3 or python3), or why it could not run. */
export function torchConvStep(opts: { threads: number; warmup: number; steps: number }): TorchTiming | string {
  const script = path.join(__dirname, 'torch_conv.py');
  const args = [script, '--threads', String(opts.threads), '--warmup', String(opts.warmup), '--steps', String(opts.steps)];
  for (const python of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(python, args, { encoding: 'utf8', timeout: 600_000 });
    if (r.error) continue;
    if (r.status !== 0) {
      const why = (r.stderr || '').trim().split('\n').pop() ?? '';
      return /No module named 'torch'/.test(r.stderr) ? `PyTorch is not installed for ${python} (Debian: apt-get install python3-torch)` : `${python} bench/torch_conv.py failed: ${why}`;
    }
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchTiming;
  }
  return 'no python3 found for bench/torch_conv.py';
}
