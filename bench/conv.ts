/**
 * The convolutional autoencoder of `npm run bench` (case `conv`), and its PyTorch twin
 * (bench/torch_conv.py) for a comparison on the same machine:
 *
 *   28x28x1 -> conv 5x5 stride 2, 32 filters, relu -> conv 5x5/2, 64, relu -> dense 2 ->
 *   dense 7*7*64, relu -> conv2dTranspose 5x5/2, 32, relu -> conv2dTranspose 5x5/2, 1, sigmoid;
 *   mean squared error against the input, Adam (lr 1e-3), batch 100.
 *
 * The model is the shipped conv encoder and decoder (lib/nn/nets.ts, `--networks conv`) as one
 * tfjs-layers model; its weights are trained by the project's Adam (lib/nn/adam.ts,
 * the native in-place update on wasm-blas) with the project's MSE.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Adam } from '../lib/nn/adam';
import { meanSquaredError } from '../lib/nn/losses';
import { epochOrder, makeBatch } from '../lib/data/batches';
import type { Mnist } from '../lib/data/mnist';
import { Rng } from '../lib/random';
import { convDecoder, convEncoder } from '../lib/nn/nets';

/**
 * The conv autoencoder for side x side x channels images, with `code` units in the middle: the shipped
 * conv encoder and decoder of `--networks conv` (lib/nn/nets.ts) one after the other.
 */
export function convAutoencoder(opts: { side?: number; channels?: number; code?: number; seed?: number } = {}): tf.Sequential {
  const side = opts.side ?? 28;
  const shape: [number, number, number] = [side, side, opts.channels ?? 1];
  const code = opts.code ?? 2;
  const rng = new Rng(opts.seed ?? 1);
  return tf.sequential({ layers: [convEncoder(shape, code, { rng }), convDecoder(code, shape, { rng })] });
}

/** The model's trainable weights as the tf.Variables the project's optimizers update. */
export function layersVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** One Adam step of the conv autoencoder per call, on MNIST training batches in order. */
export function convStepper(data: Mnist, batchSize = 100): { step(i: number): void; updatedParameters: number; dispose(): void } {
  const rng = new Rng(3);
  const model = convAutoencoder();
  const variables = layersVariables(model);
  const opt = new Adam(variables);
  const order = epochOrder(data.train.count, null);
  return {
    step: (i) => {
      const batch = makeBatch(data.train, order, i, batchSize, 0, rng);
      const x = tf.tensor4d(batch.x, [batchSize, 28, 28, 1]);
      opt.minimize(() => meanSquaredError(model.apply(x) as tf.Tensor, x), 1e-3);
      x.dispose();
    },
    updatedParameters: variables.reduce((a, v) => a + v.size, 0),
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
  // next to this file, or (run compiled from .bench-build/bench/) in the checkout's bench/
  const script = [path.join(__dirname, 'torch_conv.py'), path.join(__dirname, '..', '..', 'bench', 'torch_conv.py')].find((f) => fs.existsSync(f)) ?? 'bench/torch_conv.py';
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
