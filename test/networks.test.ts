// Networks as values: tfjs-layers models as encoder and decoder (dense and convolutional), trained by
// the models' phases with the project's optimizers and saved in the same checkpoints; --hidden with
// layer sizes; loading a checkpoint with other networks.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../lib/backend';
import { makeConfig, createModel, ConfigError, SupervisedAAE, type AAEConfig, type NetworkSet } from '../lib/models';
import { loadMnist, subset, PIXELS, type Mnist } from '../lib/data/mnist';
import { createExperiment, resumeExperiment } from '../lib/train/setup';
import { saveCheckpoint, loadCheckpoint, readCheckpoint, CheckpointError } from '../lib/train/checkpoint';
import { LayersNetwork } from '../lib/nn/network';
import { convDecoder, convEncoder, missingConvKernels } from '../lib/nn/nets';
import { MLP } from '../lib/nn/layers';
import { Rng } from '../lib/random';
import { main } from '../lib/cli/aae';
import { capture } from './capture';

let mnist: Mnist;
let root: string;
before(async () => {
  const info = await initBackend();
  console.log(`backend: ${info.description}`);
  const full = loadMnist();
  mnist = { train: subset(full.train, 0, 600), validation: subset(full.validation, 0, 200), test: subset(full.test, 0, 200) };
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-nets-'));
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
});

const cfgOf = (over: Partial<AAEConfig> = {}) => makeConfig({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 32, batchSize: 50, epochs: 2, seed: 3, ...over });

/** A dense encoder and decoder as tfjs-layers models (the decoder ends in a sigmoid). */
function denseNets(nZ: number, hidden = 64): NetworkSet {
  return {
    encoder: tf.sequential({ layers: [tf.layers.dense({ inputShape: [PIXELS], units: hidden, activation: 'relu' }), tf.layers.dense({ units: nZ })] }),
    decoder: tf.sequential({ layers: [tf.layers.dense({ inputShape: [nZ], units: hidden, activation: 'relu' }), tf.layers.dense({ units: PIXELS, activation: 'sigmoid' })] }),
  };
}

/** A small conv encoder with batch norm (its moving statistics are non-trainable weights a checkpoint must keep). */
function smallConvEncoder(nZ: number): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.conv2d({ filters: 8, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: nZ }),
    ],
  });
}

const values = (m: { namedWeights(): [string, tf.Variable][] }) => new Map(m.namedWeights().map(([n, v]) => [n, Array.from(v.dataSync())]));

/** Weights, optimizer state and reconstructions of two models are identical. */
function assertSameModel(a: ReturnType<typeof createModel>, b: ReturnType<typeof createModel>, images: Float32Array): void {
  assert.deepEqual([...values(b).keys()], [...values(a).keys()]);
  for (const [n, v] of values(a)) assert.deepEqual(values(b).get(n), v, `weight ${n}`);
  for (const [phase, opt] of Object.entries(a.optimizers)) {
    const sa = opt.getState();
    const sb = (b.optimizers as Record<string, typeof opt>)[phase].getState();
    assert.equal(sb.t, sa.t, phase);
    sa.m.forEach((m, i) => assert.deepEqual(Array.from(sb.m[i]), Array.from(m), `${phase} m ${i}`));
    sa.v.forEach((v, i) => assert.deepEqual(Array.from(sb.v[i]), Array.from(v), `${phase} v ${i}`));
  }
  assert.deepEqual(Array.from(b.reconstruct(images)), Array.from(a.reconstruct(images)));
}

test('a tfjs-layers dense encoder and decoder train in the supervised model (loss goes down), with stable names; the checkpoint round trip is exact', async () => {
  const cfg = cfgOf();
  const nets = denseNets(cfg.nZ);
  const exp = createExperiment(cfg, { mnist, networks: nets });
  try {
    assert.ok(exp.model.encoder instanceof LayersNetwork && exp.model.decoder instanceof LayersNetwork);
    assert.ok((exp.model as SupervisedAAE).discriminator instanceof MLP, 'the discriminator left out is the built-in MLP');
    assert.deepEqual(
      exp.model.namedWeights().map(([n, v]) => `${n} ${v.shape.join('x')}`),
      [
        'encoder/dense_1/kernel 784x64',
        'encoder/dense_1/bias 64',
        'encoder/dense_2/kernel 64x2',
        'encoder/dense_2/bias 2',
        'decoder/dense_1/kernel 2x64',
        'decoder/dense_1/bias 64',
        'decoder/dense_2/kernel 64x784',
        'decoder/dense_2/bias 784',
        'discriminator/dense_1/kernel 12x32',
        'discriminator/dense_1/bias 32',
        'discriminator/dense_2/kernel 32x32',
        'discriminator/dense_2/bias 32',
        'discriminator/dense_3/kernel 32x1',
        'discriminator/dense_3/bias 1',
      ],
    );
    // The layers model's own variables are the ones trained (the project's Adam updates them in place).
    const kernel = Array.from((nets.encoder as tf.LayersModel).layers[0].getWeights()[0].dataSync());
    const start = exp.model.evaluate(mnist.test).reconLoss;
    await exp.trainer.run({ epochs: 2 });
    const after = exp.model.evaluate(mnist.test).reconLoss;
    assert.ok(after < start * 0.8, `reconstruction loss ${start} -> ${after}`);
    assert.notDeepEqual(Array.from((nets.encoder as tf.LayersModel).layers[0].getWeights()[0].dataSync()), kernel, 'the tfjs-layers kernel moved');
    const file = path.join(root, 'dense.aae');
    saveCheckpoint(file, exp.model, exp.trainer.snapshot());
    const header = readCheckpoint(file).header as unknown as { networks: Record<string, { given: boolean; describe: string }> };
    assert.deepEqual(
      Object.entries(header.networks).map(([r, n]) => [r, n.given]),
      [
        ['encoder', true],
        ['decoder', true],
        ['discriminator', false],
      ],
    );
    assert.match(header.networks.encoder.describe, /tfjs-layers 784 -> dense 64 -> dense 2/);
    // Loaded into networks built afresh (other tfjs layer names, other initial weights): the same model.
    const back = resumeExperiment(file, {}, { mnist, networks: denseNets(cfg.nZ) });
    try {
      assertSameModel(exp.model, back.model, mnist.test.images.subarray(0, 20 * PIXELS));
      // And both continue alike: one more epoch from the checkpoint gives the same weights.
      await exp.trainer.run({ epochs: 3 });
      await back.trainer.run({ epochs: 3 });
      assertSameModel(exp.model, back.model, mnist.test.images.subarray(0, 20 * PIXELS));
    } finally {
      back.model.dispose();
    }
  } finally {
    exp.model.dispose();
  }
});

test('the semi-supervised model takes a tfjs-layers encoder whose output is [style, label logits]', async () => {
  const cfg = cfgOf({ model: 'semi_supervised', prior: 'gaussian', nLabeled: 100, epochs: 1 });
  const K = 10;
  const encoder = tf.sequential({ layers: [tf.layers.dense({ inputShape: [PIXELS], units: 32, activation: 'relu' }), tf.layers.dense({ units: cfg.nZ + K })] });
  const exp = createExperiment(cfg, { mnist, networks: { encoder } });
  try {
    const start = exp.model.evaluate(mnist.test).reconLoss;
    await exp.trainer.run({ epochs: 1 });
    const after = exp.model.evaluate(mnist.test).reconLoss;
    assert.ok(after < start, `reconstruction loss ${start} -> ${after}`);
    assert.equal(exp.model.encode(mnist.test.images.subarray(0, 3 * PIXELS)).length, 3 * cfg.nZ);
  } finally {
    exp.model.dispose();
  }
  // Widths that do not fit, and roles the model does not have: one ConfigError naming them.
  const wide = tf.sequential({ layers: [tf.layers.dense({ inputShape: [PIXELS], units: cfg.nZ })] });
  assert.throws(
    () => createModel(cfg, new Rng(0), { encoder: wide }),
    (e: Error) => e instanceof ConfigError && /encoder: this model needs 784 inputs and 12 outputs/.test(e.message),
  );
  assert.throws(
    () => createModel(cfg, new Rng(0), { discriminator: wide }),
    (e: Error) => e instanceof ConfigError && /networks\.discriminator: .*zDiscriminator, yDiscriminator/.test(e.message),
  );
  wide.dispose();
});

test('a tfjs-layers conv encoder with batch norm lowers the reconstruction loss and survives a checkpoint round trip (cpu backend)', async (t) => {
  await initBackend({ backend: 'cpu' });
  try {
    if (missingConvKernels().length) {
      t.skip(`the ${tf.getBackend()} backend lacks ${missingConvKernels().join(', ')}`);
      return;
    }
    const cfg = cfgOf({ batchSize: 20, keepProb: 1, nHidden: 16 });
    const data = { ...mnist, train: subset(mnist.train, 0, 200) };
    const exp = createExperiment(cfg, { mnist: data, networks: { encoder: smallConvEncoder(cfg.nZ) } });
    try {
      const names = exp.model.namedWeights().map(([n]) => n);
      assert.deepEqual(names.slice(0, 10), [
        'encoder/conv2d_1/kernel',
        'encoder/conv2d_1/bias',
        'encoder/batch_normalization_1/gamma',
        'encoder/batch_normalization_1/beta',
        'encoder/batch_normalization_1/moving_mean',
        'encoder/batch_normalization_1/moving_variance',
        'encoder/conv2d_2/kernel',
        'encoder/conv2d_2/bias',
        'encoder/dense_1/kernel',
        'encoder/dense_1/bias',
      ]);
      // The moving statistics are saved, not trained.
      assert.equal(exp.model.encoder.variables.length, 8);
      const start = exp.model.evaluate(data.test).reconLoss;
      await exp.trainer.run({ epochs: 2 });
      const after = exp.model.evaluate(data.test).reconLoss;
      assert.ok(after < start, `reconstruction loss ${start} -> ${after}`);
      const movingMean = values(exp.model).get('encoder/batch_normalization_1/moving_mean')!;
      assert.ok(
        movingMean.some((v) => v !== 0),
        'batch norm updated its moving mean in training',
      );
      const file = path.join(root, 'conv.aae');
      saveCheckpoint(file, exp.model, exp.trainer.snapshot());
      const ck = loadCheckpoint(file, {}, undefined, { encoder: smallConvEncoder(cfg.nZ) });
      try {
        assertSameModel(exp.model, ck.model, data.test.images.subarray(0, 20 * PIXELS));
        assert.deepEqual(Array.from(ck.model.encode(data.test.images)), Array.from(exp.model.encode(data.test.images)));
      } finally {
        ck.model.dispose();
      }
    } finally {
      exp.model.dispose();
    }
  } finally {
    await initBackend();
  }
});

test('networks: conv builds the shipped conv encoder and transposed-conv decoder for 28x28x1; a backend without the conv gradients is a clear error', async () => {
  const cfg = cfgOf({ networks: 'conv', batchSize: 10 });
  const model = createModel(cfg);
  try {
    const shapes = (net: { weights(): [string, tf.Variable][] }) => net.weights().map(([n, v]) => `${n} ${v.shape.join('x')}`);
    assert.deepEqual(shapes(model.encoder), [
      'encoder/conv2d_1/kernel 5x5x1x32',
      'encoder/conv2d_1/bias 32',
      'encoder/conv2d_2/kernel 5x5x32x64',
      'encoder/conv2d_2/bias 64',
      'encoder/dense_1/kernel 3136x2',
      'encoder/dense_1/bias 2',
    ]);
    assert.deepEqual(shapes(model.decoder), [
      'decoder/dense_1/kernel 2x3136',
      'decoder/dense_1/bias 3136',
      'decoder/conv2d_transpose_1/kernel 5x5x32x64',
      'decoder/conv2d_transpose_1/bias 32',
      'decoder/conv2d_transpose_2/kernel 5x5x1x32',
      'decoder/conv2d_transpose_2/bias 1',
    ]);
    const rec = model.reconstruct(mnist.test.images.subarray(0, 2 * PIXELS));
    assert.equal(rec.length, 2 * PIXELS);
    assert.ok(rec.every((v) => v >= 0 && v <= 1));
    // Seeded: the same config builds the same weights.
    const again = createModel(cfg);
    assert.deepEqual(values(again), values(model));
    again.dispose();
    // The active backend trains convolutions when it has the kernels (wasm-blas: the native ones).
    if (missingConvKernels().length === 0) model.checkBackend();
    else assert.throws(() => model.checkBackend(), /lacks the kernel/);
    // tfjs 4.22's stock wasm backend has no Conv2DBackpropFilter: training refuses at the start, naming it.
    const active = (await initBackend()).name;
    await initBackend({ backend: 'wasm' });
    try {
      assert.deepEqual(missingConvKernels(), ['Conv2DBackpropFilter']);
      assert.throws(
        () => model.checkBackend(),
        (e: Error) => e instanceof ConfigError && /encoder: .*wasm backend, which lacks the kernel Conv2DBackpropFilter; train it on wasm-blas .* or cpu/.test(e.message),
      );
    } finally {
      await initBackend({ backend: active });
    }
  } finally {
    model.dispose();
  }
  // The builders take any image size: 20x20x3 (not a multiple of 4: the decoder crops).
  const enc = convEncoder([20, 20, 3], 5, { filters: [4, 8] });
  const dec = convDecoder(5, [20, 20, 3], { filters: [4, 8] });
  assert.deepEqual(enc.outputs[0].shape, [null, 5]);
  assert.deepEqual(dec.outputs[0].shape, [null, 20, 20, 3]);
  enc.dispose();
  dec.dispose();
});

test('a checkpoint loads only with the networks it was trained with; a mismatch names the network or the weight', async () => {
  const cfg = cfgOf({ epochs: 1 });
  const exp = createExperiment(cfg, { mnist, networks: denseNets(cfg.nZ) });
  const file = path.join(root, 'given.aae');
  saveCheckpoint(file, exp.model, null);
  exp.model.dispose();
  const fails = (networks: NetworkSet | undefined, ...patterns: RegExp[]) =>
    assert.throws(
      () => loadCheckpoint(file, {}, undefined, networks),
      (e: Error) => e instanceof CheckpointError && patterns.every((p) => p.test(e.message)) && !e.message.includes('\n'),
    );
  fails(undefined, /trained with networks passed by value \(encoder: tfjs-layers 784 -> dense 64 -> dense 2\)/, /pass the same encoder again/);
  // Other layer sizes: the weight and both shapes.
  const other = denseNets(cfg.nZ, 48);
  fails(other, /encoder\/dense_1\/kernel has shape 784x64, the model expects 784x48/);
  // The networks passed stay usable after a failed load.
  assert.equal(
    (other.encoder as tf.LayersModel)
      .predict(tf.zeros([1, PIXELS]))
      .toString()
      .includes('Tensor'),
    true,
  );
  // Another architecture: a weight the model does not have.
  const deeper = denseNets(cfg.nZ);
  deeper.encoder = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [PIXELS], units: 64, activation: 'relu' }), tf.layers.dense({ units: 64, activation: 'relu' }), tf.layers.dense({ units: 2 })],
  });
  fails(deeper, /has no weight encoder\/dense_3\/kernel/);
  // A checkpoint of built-in networks does not load into given ones of other names.
  const plain = createExperiment(cfg, { mnist });
  const file2 = path.join(root, 'plain.aae');
  saveCheckpoint(file2, plain.model, null);
  plain.model.dispose();
  assert.throws(
    () => loadCheckpoint(file2, {}, undefined, { encoder: smallConvEncoder(cfg.nZ) }),
    (e: Error) => e instanceof CheckpointError && /holds weight encoder\/dense_2\/kernel \(shape 32x32\), which the model's networks do not have.*its encoder: mlp 784-32-32-2/.test(e.message),
  );
  // The right networks again: it loads.
  loadCheckpoint(file, {}, undefined, denseNets(cfg.nZ)).model.dispose();
});

test('nHidden as layer sizes and hiddenPerNetwork: each built-in MLP gets its sizes; a single number keeps two layers', () => {
  const shapes = (cfg: AAEConfig) =>
    createModel(cfg)
      .namedWeights()
      .filter(([n]) => n.endsWith('kernel'))
      .map(([n, v]) => `${n.split('/')[0]} ${v.shape.join('x')}`);
  assert.deepEqual(shapes(cfgOf({ nHidden: 8 })), [
    'encoder 784x8',
    'encoder 8x8',
    'encoder 8x2',
    'decoder 2x8',
    'decoder 8x8',
    'decoder 8x784',
    'discriminator 12x8',
    'discriminator 8x8',
    'discriminator 8x1',
  ]);
  assert.deepEqual(shapes(cfgOf({ nHidden: [16, 8, 4], hiddenPerNetwork: { discriminator: [5] } })), [
    'encoder 784x16',
    'encoder 16x8',
    'encoder 8x4',
    'encoder 4x2',
    'decoder 2x16',
    'decoder 16x8',
    'decoder 8x4',
    'decoder 4x784',
    'discriminator 12x5',
    'discriminator 5x1',
  ]);
  const semi = shapes(cfgOf({ model: 'semi_supervised', prior: 'gaussian', nHidden: [6, 4], hiddenPerNetwork: { decoder: 9 } }));
  assert.deepEqual(semi, [
    'encoder 784x6',
    'encoder 6x4',
    'encoder 4x2',
    'encoder 4x10',
    'decoder 12x9',
    'decoder 9x9',
    'decoder 9x784',
    'z_discriminator 2x6',
    'z_discriminator 6x4',
    'z_discriminator 4x1',
    'y_discriminator 10x6',
    'y_discriminator 6x4',
    'y_discriminator 4x1',
  ]);
  for (const bad of [0, [], [8, 0], [1.5], Array(11).fill(4), '8'] as unknown[]) {
    assert.throws(
      () => cfgOf({ nHidden: bad as number }),
      (e: Error) => e instanceof ConfigError && /nHidden must be an integer from 1 to 100000 .* or a list of 1 to 10/.test(e.message),
    );
  }
  assert.throws(() => cfgOf({ hiddenPerNetwork: { generator: [4] } as never }), /hiddenPerNetwork: unknown network "generator"; valid: encoder, decoder, discriminator/);
  assert.throws(() => cfgOf({ networks: 'resnet' as never }), /unknown networks "resnet"; valid choices: mlp, conv/);
});

test('aae --hidden 500,250 trains those sizes; bad --hidden values exit 2 with one line', async () => {
  const out = path.join(root, 'h500-250');
  const args = ['--model', 'supervised', '--prior', 'gaussian_mixture', '--n_z', '2', '--epochs', '1', '--batch-size', '50', '--train-size', '100', '--eval-size', '50'];
  const r = await capture(() => main([...args, '--hidden', '500,250', '--no-progress', '--PMLR', 'false', '--out', out]));
  assert.equal(r.code, 0, r.err);
  const { header } = readCheckpoint(path.join(out, 'checkpoint.aae'));
  assert.deepEqual(header.config.nHidden, [500, 250]);
  assert.deepEqual(
    header.weights.filter((e) => e.name.endsWith('kernel')).map((e) => `${e.name} ${e.shape.join('x')}`),
    [
      'encoder/dense_1/kernel 784x500',
      'encoder/dense_2/kernel 500x250',
      'encoder/dense_3/kernel 250x2',
      'decoder/dense_1/kernel 2x500',
      'decoder/dense_2/kernel 500x250',
      'decoder/dense_3/kernel 250x784',
      'discriminator/dense_1/kernel 12x500',
      'discriminator/dense_2/kernel 500x250',
      'discriminator/dense_3/kernel 250x1',
    ],
  );
  // --resume checks the sizes: the same ones agree (also as 1000 vs 1000,1000), others are refused.
  const again = await capture(() => main([...args, '--hidden', '500,251', '--resume', '--no-progress', '--out', out]));
  assert.equal(again.code, 2, again.err);
  assert.match(again.lines[0], /--hidden 500,251 does not match the checkpoint .* trained with --hidden 500,250/);
  const never = path.join(root, 'never');
  for (const bad of ['0', 'abc', '500,', ',500', '500;250', '1.5', '-3', '20001', '1,2,3,4,5,6,7,8,9,10,11', '']) {
    const b = await capture(() => main([...args, '--hidden', bad, '--out', never]));
    assert.equal(b.code, 2, `--hidden ${bad}: ${b.err}`);
    assert.equal(b.lines.length, 1, `--hidden ${bad}: ${b.err}`);
    assert.match(b.lines[0], /--hidden must be an integer from 1 to 20000, or a list of 1 to 10 of them separated by commas/);
    assert.ok(!fs.existsSync(never));
  }
  // --networks conv where the backend cannot train convolutions: one line naming the kernel, nothing written.
  const active = (await initBackend()).name;
  try {
    const c = await capture(() => main([...args, '--backend', 'wasm', '--networks', 'conv', '--out', never]));
    assert.equal(c.code, 2, c.err);
    assert.deepEqual(
      c.lines.slice(-1),
      c.lines.filter((l) => !l.startsWith('backend:')),
    );
    assert.match(c.lines.at(-1)!, /--networks conv: the wasm backend cannot train convolutions \(it lacks Conv2DBackpropFilter\); give --backend wasm-blas .* or cpu/);
    assert.ok(!fs.existsSync(never));
  } finally {
    await initBackend({ backend: active });
  }
});
