import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../lib/backend';
import { makeConfig, createModel, SupervisedAAE, SemiSupervisedAAE, PRESETS } from '../lib/models';
import { learningRate, lrDropAt } from '../lib/train/schedule';
import { meanSquaredError, sigmoidCrossEntropy, softmaxCrossEntropy } from '../lib/nn/losses';
import { loadMnist, subset, PIXELS } from '../lib/data/mnist';
import { oneHot, type Batch } from '../lib/data/batches';
import { sampleLabeled, sampleUnlabeled, categorical } from '../lib/priors';
import { Rng } from '../lib/random';
import { createExperiment, resumeExperiment } from '../lib/train/setup';
import { saveCheckpoint, loadCheckpoint, CheckpointError } from '../lib/train/checkpoint';
import { Momentum } from '../lib/nn/momentum';
import { trainStopped } from './stopped';

before(async () => {
  const info = await initBackend();
  console.log(`backend: ${info.description}`);
});

// ------------------------------------------------------------ plain-JS reference forward pass
type Mat = { data: Float32Array; rows: number; cols: number };
function dense(x: Mat, w: Float32Array, b: Float32Array, out: number, act: (v: number) => number): Mat {
  const y = new Float32Array(x.rows * out);
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < out; j++) {
      let s = b[j];
      for (let k = 0; k < x.cols; k++) s += x.data[i * x.cols + k] * w[k * out + j];
      y[i * out + j] = act(s);
    }
  return { data: y, rows: x.rows, cols: out };
}
const relu = (v: number) => Math.max(0, v);
const lin = (v: number) => v;
const sig = (v: number) => 1 / (1 + Math.exp(-v));
function concat(a: Mat, b: Mat): Mat {
  const d = new Float32Array(a.rows * (a.cols + b.cols));
  for (let i = 0; i < a.rows; i++) {
    d.set(a.data.subarray(i * a.cols, (i + 1) * a.cols), i * (a.cols + b.cols));
    d.set(b.data.subarray(i * b.cols, (i + 1) * b.cols), i * (a.cols + b.cols) + a.cols);
  }
  return { data: d, rows: a.rows, cols: a.cols + b.cols };
}
function W(model: { namedWeights(): [string, tf.Variable][] }): Map<string, Float32Array> {
  return new Map(model.namedWeights().map(([n, v]) => [n, v.dataSync() as Float32Array]));
}
function mlp(w: Map<string, Float32Array>, name: string, x: Mat, sizes: number[], last: (v: number) => number): Mat {
  let h = x;
  for (let i = 0; i < sizes.length; i++) {
    h = dense(h, w.get(`${name}/dense_${i + 1}/kernel`)!, w.get(`${name}/dense_${i + 1}/bias`)!, sizes[i], i === sizes.length - 1 ? last : relu);
  }
  return h;
}
const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
const bceOnes = (logits: Mat) => mean(Array.from(logits.data, (x) => Math.log(1 + Math.exp(-x))));
const bceZeros = (logits: Mat) => mean(Array.from(logits.data, (x) => Math.log(1 + Math.exp(x))));

/** Deterministic small weights (not the random init) so the hand computation is checkable. */
function setFixedWeights(model: { namedWeights(): [string, tf.Variable][] }): void {
  let k = 1;
  tf.tidy(() => {
    for (const [, v] of model.namedWeights()) {
      const n = v.size;
      const vals = Float32Array.from({ length: n }, () => 0.3 * Math.sin(1.7 * k++));
      v.assign(tf.tensor(vals, v.shape));
    }
  });
}

function tinyBatch(n: number): Batch {
  const m = loadMnist();
  const x = m.test.images.slice(0, n * PIXELS);
  const xNoised = Float32Array.from(x, (v, i) => v + 0.1 * Math.cos(i));
  return { x, xNoised, labels: m.test.labels.slice(0, n), size: n };
}

test('loss functions match hand computations', () => {
  tf.tidy(() => {
    const a = tf.tensor2d([
      [0.1, 0.9],
      [0.4, 0.2],
    ]);
    const b = tf.tensor2d([
      [0, 1],
      [1, 0],
    ]);
    assert.ok(Math.abs(meanSquaredError(a, b).dataSync()[0] - (0.01 + 0.01 + 0.36 + 0.04) / 4) < 1e-7);
    const logits = tf.tensor2d([[2], [-1], [0], [30]]);
    const ones = mean([2, -1, 0, 30].map((x) => Math.log(1 + Math.exp(-x))));
    const zeros = mean([2, -1, 0, 30].map((x) => Math.log(1 + Math.exp(x))));
    assert.ok(Math.abs(sigmoidCrossEntropy(logits, 1).dataSync()[0] - ones) < 1e-6);
    assert.ok(Math.abs(sigmoidCrossEntropy(logits, 0).dataSync()[0] - zeros) < 1e-5);
    const l = tf.tensor2d([
      [1, 2, 3],
      [0, 0, 5],
    ]);
    const y = tf.tensor2d([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
    const want = (lse([1, 2, 3]) - 3 + lse([0, 0, 5]) - 0) / 2;
    assert.ok(Math.abs(softmaxCrossEntropy(l, y).dataSync()[0] - want) < 1e-5);
  });
});

test('supervised AAE: reconstruction, discriminator and generator losses equal a hand computation on fixed weights', () => {
  const cfg = makeConfig({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 5, keepProb: 1 });
  const model = createModel(cfg) as SupervisedAAE;
  setFixedWeights(model);
  const B = 4;
  const batch = tinyBatch(B);
  const w = W(model);
  const xn: Mat = { data: batch.xNoised, rows: B, cols: PIXELS };
  const z = mlp(w, 'encoder', xn, [5, 5, 2], lin);
  const rec = mlp(w, 'decoder', z, [5, 5, PIXELS], sig);
  const recon = mean(Array.from(rec.data, (v, i) => (v - batch.x[i]) ** 2));
  const prior = sampleLabeled('gaussian_mixture', B, 2, new Rng(11));
  const real = concat({ data: prior.z, rows: B, cols: 2 }, { data: oneHot(prior.labels), rows: B, cols: 10 });
  const fake = concat(z, { data: oneHot(batch.labels), rows: B, cols: 10 });
  const dReal = mlp(w, 'discriminator', real, [5, 5, 1], lin);
  const dFake = mlp(w, 'discriminator', fake, [5, 5, 1], lin);
  const dLoss = bceZeros(dFake) + bceOnes(dReal);
  // At lr 0 no phase moves a weight, so every phase's loss is that of the fixed weights: the generator's
  // is the discriminator's cross-entropy of the codes against the target 1 ("real").
  const losses = model.trainStep(batch, null, 0, new Rng(11));
  assert.ok(Math.abs(losses.reconstruction - recon) < 1e-5, `recon ${losses.reconstruction} vs ${recon}`);
  assert.ok(Math.abs(losses.discriminator - dLoss) < 1e-4, `D ${losses.discriminator} vs ${dLoss}`);
  assert.ok(Math.abs(losses.generator - bceOnes(dFake)) < 1e-4, `G ${losses.generator} vs ${bceOnes(dFake)}`);
  model.dispose();
});

test('semi-supervised AAE: all five losses equal a hand computation on fixed weights', () => {
  const cfg = makeConfig({ model: 'semi_supervised', prior: 'gaussian', nZ: 3, nHidden: 4, keepProb: 1 });
  const model = createModel(cfg) as SemiSupervisedAAE;
  setFixedWeights(model);
  const B = 3;
  const batch = tinyBatch(B);
  const w = W(model);
  const xn: Mat = { data: batch.xNoised, rows: B, cols: PIXELS };
  const h = mlp(w, 'encoder', xn, [4, 4], relu);
  const style = dense(h, w.get('encoder/style/kernel')!, w.get('encoder/style/bias')!, 3, lin);
  const logits = dense(h, w.get('encoder/labels/kernel')!, w.get('encoder/labels/bias')!, 10, lin);
  const soft = new Float32Array(B * 10);
  for (let i = 0; i < B; i++) {
    const row = Array.from(logits.data.subarray(i * 10, i * 10 + 10));
    const mx = Math.max(...row);
    const e = row.map((v) => Math.exp(v - mx));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, k) => (soft[i * 10 + k] = v / s));
  }
  const y: Mat = { data: soft, rows: B, cols: 10 };
  const rec = mlp(w, 'decoder', concat(style, y), [4, 4, PIXELS], sig);
  const recon = mean(Array.from(rec.data, (v, i) => (v - batch.x[i]) ** 2));
  const rng = new Rng(21);
  const prior = sampleUnlabeled('gaussian', B, 3, rng);
  const cat = categorical(B, rng);
  const zD = bceOnes(mlp(w, 'z_discriminator', { data: prior.z, rows: B, cols: 3 }, [4, 4, 1], lin)) + bceZeros(mlp(w, 'z_discriminator', style, [4, 4, 1], lin));
  const yD = bceOnes(mlp(w, 'y_discriminator', { data: cat.y, rows: B, cols: 10 }, [4, 4, 1], lin)) + bceZeros(mlp(w, 'y_discriminator', y, [4, 4, 1], lin));
  const losses = model.trainStep(batch, null, 1e-3, new Rng(21));
  assert.ok(Math.abs(losses.reconstruction - recon) < 1e-5, `recon ${losses.reconstruction} vs ${recon}`);
  // z- and y-discriminator losses are computed after the reconstruction update of the encoder; with a
  // zero learning rate nothing moves, so compare on a second model stepped at lr 0.
  const m2 = createModel(cfg) as SemiSupervisedAAE;
  setFixedWeights(m2);
  const l2 = m2.trainStep(batch, batch, 0, new Rng(21));
  assert.ok(Math.abs(l2.zDiscriminator - zD) < 1e-4, `zD ${l2.zDiscriminator} vs ${zD}`);
  assert.ok(Math.abs(l2.yDiscriminator - yD) < 1e-4, `yD ${l2.yDiscriminator} vs ${yD}`);
  const g = bceOnes(mlp(w, 'y_discriminator', y, [4, 4, 1], lin)) + bceOnes(mlp(w, 'z_discriminator', style, [4, 4, 1], lin));
  assert.ok(Math.abs(l2.generator - g) < 1e-4, `G ${l2.generator} vs ${g}`);
  // cross-entropy on the labeled batch (clean input is what the trainer feeds; here xNoised of `batch`)
  let ce = 0;
  for (let i = 0; i < B; i++) ce += -Math.log(soft[i * 10 + batch.labels[i]]);
  assert.ok(Math.abs(l2.crossEntropy - ce / B) < 1e-4, `CE ${l2.crossEntropy} vs ${ce / B}`);
  model.dispose();
  m2.dispose();
});

test('reconstructionLoss sum: the same per-pixel loss is reported, the SGD step on the decoder is 784 times larger', () => {
  const moved: number[] = [];
  const reported: number[] = [];
  for (const reconstructionLoss of ['mean', 'sum'] as const) {
    const cfg = makeConfig({ model: 'semi_supervised', prior: 'gaussian', nZ: 3, nHidden: 4, keepProb: 1, optimizer: 'momentum', reconstructionLoss });
    const model = createModel(cfg) as SemiSupervisedAAE;
    setFixedWeights(model);
    const before = W(model).get('decoder/dense_3/bias')!.slice();
    const losses = model.trainStep(tinyBatch(3), null, 1e-2, new Rng(21));
    const after = W(model).get('decoder/dense_3/bias')!;
    moved.push(Math.max(...Array.from(after, (v, i) => Math.abs(v - before[i]))));
    reported.push(losses.reconstruction);
    model.dispose();
  }
  assert.ok(Math.abs(reported[1] - reported[0]) < 1e-6, `reported per pixel: ${reported}`);
  assert.ok(Math.abs(moved[1] / moved[0] / PIXELS - 1) < 0.01, `step ratio ${moved[1] / moved[0]}`);
  assert.throws(() => makeConfig({ reconstructionLoss: 'l1' as never }), /unknown reconstructionLoss "l1"; valid choices: mean, sum/);
});

test('the original learning-rate schedule: 1e-3 for epochs 0-50, then 1e-4', () => {
  const cfg = makeConfig({}, 'original');
  assert.equal(learningRate(cfg, 0), 1e-3);
  assert.equal(learningRate(cfg, 50), 1e-3);
  assert.equal(learningRate(cfg, 51), 1e-4);
  assert.equal(cfg.nHidden, 3000);
  assert.equal(cfg.batchSize, 128);
});

test("--lr-drop: the preset's first rate until the given epoch, its next one from there", () => {
  const cfg = makeConfig({ epochs: 40, lrSchedule: lrDropAt(PRESETS.paper.lrSchedule, 30) }, 'paper');
  assert.deepEqual(
    [29, 30, 39].map((e) => learningRate(cfg, e)),
    [1e-3, 1e-4, 1e-4],
  );
  assert.deepEqual(
    PRESETS.paper.lrSchedule,
    [
      { from: 0, lr: 1e-3 },
      { from: 50, lr: 1e-4 },
    ],
    'the preset is untouched',
  );
  assert.throws(() => lrDropAt(PRESETS.paper.lrSchedule, 0), /epoch >= 1, got 0/);
  // paper-sgd has two drops: the first moves, the second stays where it is when it comes later
  assert.deepEqual(lrDropAt(PRESETS['paper-sgd'].lrSchedule, 30), [
    { from: 0, lr: 0.01 },
    { from: 30, lr: 0.001 },
    { from: 1000, lr: 0.0001 },
  ]);
  assert.deepEqual(lrDropAt(PRESETS['paper-sgd'].lrSchedule, 2000), [
    { from: 0, lr: 0.01 },
    { from: 2000, lr: 0.001 },
  ]);
});

test("lrDecay 'cosine': the first rate along half a cosine to 0 over the run's epochs; later epochs keep the last rate", () => {
  const cfg = makeConfig({ epochs: 30, lrDecay: 'cosine' }, 'paper');
  const want = (e: number) => (1e-3 * (1 + Math.cos((Math.PI * e) / 30))) / 2;
  assert.equal(learningRate(cfg, 0), 1e-3);
  assert.ok(Math.abs(learningRate(cfg, 15) - 5e-4) < 1e-15);
  assert.equal(learningRate(cfg, 29), want(29));
  assert.equal(learningRate(cfg, 35), want(29), 'past the last epoch: the last epoch rate');
  for (let e = 1; e < 30; e++) assert.ok(learningRate(cfg, e) < learningRate(cfg, e - 1), `falls at epoch ${e}`);
  assert.equal(learningRate({ ...cfg, lrDecay: 'step' }, 29), 1e-3, "step: the paper preset's first rate until epoch 50");
  assert.equal(PRESETS.paper.lrDecay, 'step');
  assert.throws(() => makeConfig({ lrDecay: 'linear' as never }), /unknown lrDecay "linear"; valid choices: step, cosine/);
});

test('Momentum: TensorFlow 1 MomentumOptimizer updates (accum = m * accum + g; w -= lr * accum), state round trip', () => {
  const w = tf.variable(tf.tensor1d([1, -2, 3]), true, 'mom/w');
  const opt = new Momentum([w], 0.9);
  const g = tf.tensor1d([0.5, 1, -1]);
  opt.apply({ 'mom/w': g }, 0.1);
  opt.apply({ 'mom/w': g }, 0.1);
  // accum1 = g, w1 = w0 - 0.1 g; accum2 = 0.9 g + g = 1.9 g, w2 = w1 - 0.19 g = w0 - 0.29 g
  const want = [1 - 0.29 * 0.5, -2 - 0.29, 3 + 0.29];
  Array.from(w.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `w[${i}] = ${v}, want ${want[i]}`));
  const st = opt.getState();
  assert.equal(st.t, 2);
  assert.deepEqual(
    Array.from(st.m[0]).map((v) => +v.toFixed(5)),
    [0.95, 1.9, -1.9],
  );
  const other = new Momentum([w], 0.9);
  other.setState(st);
  assert.deepEqual(other.getState(), st);
  assert.throws(() => opt.apply({}, 0.1), /reaches none of the variables/);
  assert.throws(() => new Momentum([w], 1), /momentum must be in \[0, 1\), got 1/);
  tf.dispose([w, g]);
  opt.dispose();
  other.dispose();
});

test('paper-sgd: the paper preset with SGD + momentum and its per-phase rates; new config fields are validated', () => {
  const c = makeConfig({}, 'paper-sgd');
  assert.equal(c.optimizer, 'momentum');
  assert.equal(c.reconstructionLoss, 'sum');
  assert.deepEqual([c.nZ, c.nHidden, c.batchSize, c.nLabeled], [PRESETS.paper.nZ, 1000, 100, 1000]);
  // reconstruction 0.01, adversarial phases and cross-entropy 0.1, all / 10 after 50 epochs
  assert.deepEqual(
    [0, 49, 50].map((e) => learningRate(c, e)),
    [0.01, 0.01, 0.001],
  );
  assert.deepEqual([c.dLrFactor, c.generatorLrFactor, c.crossEntropyLrFactor, c.momentum, c.regularizationMomentum], [10, 10, 10, 0.9, 0.1]);
  for (const p of ['original', 'fast', 'paper'] as const) {
    const o = PRESETS[p];
    assert.deepEqual(
      [o.optimizer, o.reconstructionLoss, o.generatorLrFactor, o.crossEntropyLrFactor, o.labeledNoiseStd, o.labeledShift],
      ['adam', 'mean', 1, 1, 0, 0],
      `${p} keeps the original's optimizers`,
    );
  }
  assert.throws(() => makeConfig({ optimizer: 'sgd' as never }), /unknown optimizer "sgd"; valid choices: adam, momentum/);
  assert.throws(() => makeConfig({ labeledNoiseStd: -1 }), /labeledNoiseStd must be >= 0, got -1/);
  assert.throws(() => makeConfig({ labeledShift: 1.5 }), /labeledShift must be an integer from 0 to 8 \(pixels\), got 1.5/);
  assert.throws(() => makeConfig({ labeledShift: 9 }), /labeledShift must be an integer from 0 to 8/);
  assert.throws(() => makeConfig({ crossEntropyLrFactor: 0 }), /crossEntropyLrFactor must be > 0, got 0/);
  assert.throws(() => makeConfig({ regularizationMomentum: 1.5 }), /regularizationMomentum must be in \[0, 1\), got 1.5/);
});

test('labeledNoiseStd: labeled batches get input noise only when asked (the original feeds them clean)', async () => {
  const seen: { clean: boolean; size: number }[] = [];
  for (const labeledNoiseStd of [0, 0.3]) {
    const exp = createExperiment(quickConfig('semi_supervised', { epochs: 1, trainSize: 200, nLabeled: 100, labeledNoiseStd }));
    const m = exp.model as SemiSupervisedAAE;
    const step = m.trainStep.bind(m);
    m.trainStep = (batch, labeled, lr, rng) => {
      if (labeled) {
        let diff = 0;
        for (let i = 0; i < labeled.x.length; i++) diff += (labeled.xNoised[i] - labeled.x[i]) ** 2;
        seen.push({ clean: labeled.xNoised === labeled.x, size: Math.sqrt(diff / labeled.x.length) });
      }
      return step(batch, labeled, lr, rng);
    };
    await exp.trainer.run({ evalSize: 50 });
    exp.model.dispose();
  }
  assert.ok(seen.length >= 4);
  const [clean, noisy] = [seen.slice(0, seen.length / 2), seen.slice(seen.length / 2)];
  assert.ok(clean.every((s) => s.clean && s.size === 0));
  assert.ok(
    noisy.every((s) => !s.clean && Math.abs(s.size - 0.3) < 0.01),
    `noise std ${noisy.map((s) => s.size.toFixed(3))}`,
  );
});

test('labeledShift: labeled batches are moved only when asked, before the labeled noise; the unlabeled images are the same', async () => {
  // offGrid: the share of the clean labeled pixels that are not a multiple of 1/255 (MNIST's values): resampled, not moved whole
  type Seen = { moved: number; noise: number; offGrid: number; unlabeled: Float32Array };
  const runWith = async (over: object): Promise<Seen[]> => {
    const seen: Seen[] = [];
    const exp = createExperiment(quickConfig('semi_supervised', { epochs: 1, trainSize: 200, nLabeled: 100, ...over }));
    const labeledSet = exp.data.labeled!;
    const m = exp.model as SemiSupervisedAAE;
    const step = m.trainStep.bind(m);
    m.trainStep = (batch, labeled, lr, rng) => {
      if (labeled) {
        // moved: images of the batch that differ from their labeled-set original (x is the shifted, clean image)
        let moved = 0;
        for (let i = 0; i < labeled.size; i++) {
          const img = labeled.x.subarray(i * 784, (i + 1) * 784);
          let same = false;
          for (let j = 0; j < labeledSet.count && !same; j++) {
            if (labeledSet.labels[j] !== labeled.labels[i]) continue;
            const o = labeledSet.images.subarray(j * 784, (j + 1) * 784);
            same = img.every((v, k) => v === o[k]);
          }
          if (!same) moved++;
        }
        let d = 0;
        for (let i = 0; i < labeled.x.length; i++) d += (labeled.xNoised[i] - labeled.x[i]) ** 2;
        const offGrid = labeled.x.filter((v) => Math.abs(v * 255 - Math.round(v * 255)) > 1e-3).length / labeled.x.length;
        seen.push({ moved: moved / labeled.size, noise: Math.sqrt(d / labeled.x.length), offGrid, unlabeled: batch.x.slice() });
      }
      return step(batch, labeled, lr, rng);
    };
    await exp.trainer.run({ evalSize: 50 });
    exp.model.dispose();
    return seen;
  };
  const plain = await runWith({});
  const shifted = await runWith({ labeledShift: 2 });
  const both = await runWith({ labeledShift: 2, labeledNoiseStd: 0.3 });
  const warped = await runWith({ labeledShift: 2, labeledRotate: 15, labeledScale: 0.1, labeledNoiseStd: 0.3 });
  const elastic = await runWith({ labeledElastic: 34 });
  assert.ok(plain.length >= 4 && plain.every((s) => s.moved === 0 && s.noise === 0 && s.offGrid === 0));
  assert.ok(shifted.every((s) => s.offGrid === 0) && both.every((s) => s.offGrid === 0), 'whole-pixel moves keep the pixel values');
  // turned and scaled: every image resampled (a good share of its pixels between MNIST's values), then the noise
  assert.ok(
    warped.every((s) => s.moved === 1 && s.offGrid > 0.05 && Math.abs(s.noise - 0.3) < 0.01),
    `warped ${warped.map((s) => `${s.moved} ${s.offGrid.toFixed(3)} ${s.noise.toFixed(3)}`)}`,
  );
  assert.ok(
    elastic.every((s) => s.moved === 1 && s.offGrid > 0.05 && s.noise === 0),
    `elastic ${elastic.map((s) => `${s.moved} ${s.offGrid.toFixed(3)}`)}`,
  );
  // 24 of 25 offsets move an image; a digit's frame edges are blank, so a move always changes it
  assert.ok(
    shifted.every((s) => s.moved > 0.8 && s.noise === 0),
    `moved ${shifted.map((s) => s.moved)}`,
  );
  assert.ok(
    both.every((s) => s.moved > 0.8 && Math.abs(s.noise - 0.3) < 0.01),
    `noise ${both.map((s) => s.noise.toFixed(3))}`,
  );
  // the epoch's order of unlabeled images is drawn before any labeled batch: the same images either way
  assert.deepEqual(
    shifted.map((s) => s.unlabeled),
    plain.map((s) => s.unlabeled),
  );
  assert.deepEqual(
    warped.map((s) => s.unlabeled),
    plain.map((s) => s.unlabeled),
  );
  assert.deepEqual(
    elastic.map((s) => s.unlabeled),
    plain.map((s) => s.unlabeled),
  );
  assert.throws(() => makeConfig({ labeledRotate: 91 }), /labeledRotate must be from 0 to 90 \(degrees\), got 91/);
  assert.throws(() => makeConfig({ labeledScale: 1 }), /labeledScale must be from 0 to below 1, got 1/);
  assert.throws(() => makeConfig({ labeledElastic: 101 }), /labeledElastic must be from 0 to 100 \(pixels\), got 101/);
  assert.throws(() => makeConfig({ labeledElasticSigma: 0 }), /labeledElasticSigma must be from 0.5 to 20 \(pixels\), got 0/);
});

function quickConfig(model: 'supervised' | 'semi_supervised', over = {}) {
  return makeConfig({ model, prior: 'gaussian_mixture', nZ: 2, nHidden: 64, batchSize: 50, trainSize: 2000, epochs: 2, nLabeled: 500, ...over });
}

test('a short training run lowers the test reconstruction loss; tensors do not leak per step', async () => {
  for (const kind of ['supervised', 'semi_supervised'] as const) {
    const exp = createExperiment(quickConfig(kind));
    const before = exp.trainer.evaluateTest(1000);
    const counts: number[] = [];
    await exp.trainer.run({ evalSize: 1000, callbacks: { onBatchEnd: () => void counts.push(tf.memory().numTensors) } });
    const after = exp.trainer.history.at(-1)!;
    console.log(
      `${kind}: test reconstruction ${before.test_reconstruction.toFixed(4)} -> ${after.test_reconstruction.toFixed(4)}` +
        (after.test_error !== undefined ? `, test error ${(100 * after.test_error).toFixed(1)}%` : ''),
    );
    assert.ok(after.test_reconstruction < 0.75 * before.test_reconstruction);
    if (kind === 'semi_supervised') assert.ok(after.test_error! < 0.8, `test error ${after.test_error}`);
    assert.equal(counts[counts.length - 1], counts[5], 'tensor count grows during training');
    exp.model.dispose();
  }
});

test('semi-supervised epochs record labeled_error: the error on the labeled training images themselves, clean (the first evalSize, at most 5,000); the other models none', async () => {
  // labeled batches moved and turned in training; labeled_error reads the images as they are
  const exp = createExperiment(quickConfig('semi_supervised', { epochs: 1, trainSize: 200, nLabeled: 100, labeledShift: 2, labeledRotate: 15 }));
  await exp.trainer.run({ evalSize: 60 });
  const h = exp.trainer.history[0];
  const labeled = exp.trainer.data.labeled!;
  assert.equal(labeled.count, 100);
  const direct = exp.model.evaluate(subset(labeled, 0, 60)).classError!;
  assert.equal(typeof h.labeled_error, 'number');
  assert.equal(h.labeled_error, direct);
  assert.notEqual(h.labeled_error, exp.model.evaluate(labeled).classError, 'the first 60 labeled images only');
  assert.deepEqual(
    Object.keys(exp.trainer.evaluate(60)).filter((k) => k.startsWith('labeled')),
    ['labeled_error'],
    'no labeled reconstruction',
  );
  exp.model.dispose();
  const sup = createExperiment(quickConfig('supervised', { epochs: 1, trainSize: 200 }));
  await sup.trainer.run({ evalSize: 60 });
  assert.equal(sup.trainer.history[0].labeled_error, undefined);
  sup.model.dispose();
});

test('seeded runs are deterministic', async () => {
  const run = async () => {
    const exp = createExperiment(quickConfig('supervised', { epochs: 1, trainSize: 500 }));
    await exp.trainer.run({ evalSize: 200 });
    const w = exp.model.namedWeights()[0][1].dataSync().slice();
    exp.model.dispose();
    return w;
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a, b);
});

test('checkpoint round trip of a paper-sgd run (momentum optimizers, noisy and shifted labeled batches): exact resume', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-ckpt-'));
  const file = path.join(dir, 'checkpoint.aae');
  const cfg = makeConfig({ nZ: 2, nHidden: 64, batchSize: 50, trainSize: 600, epochs: 2, nLabeled: 100, labeledNoiseStd: 0.3, labeledShift: 2 }, 'paper-sgd');
  const full = createExperiment(cfg);
  assert.ok(full.model.optimizers.generator instanceof Momentum);
  await full.trainer.run({ evalSize: 200 });
  const part = (await trainStopped(cfg, 7)).run;
  saveCheckpoint(file, part.model, part.trainer.snapshot());
  const loaded = loadCheckpoint(file);
  assert.deepEqual((loaded.model as SemiSupervisedAAE).optimizers.crossEntropy!.getState(), (part.model as SemiSupervisedAAE).optimizers.crossEntropy!.getState());
  assert.equal(loaded.config.optimizer, 'momentum');
  loaded.model.dispose();
  const resumed = resumeExperiment(file);
  await resumed.trainer.run({ evalSize: 200 });
  const wa = full.model.namedWeights();
  const wb = resumed.model.namedWeights();
  for (let i = 0; i < wa.length; i++) assert.deepEqual(wb[i][1].dataSync(), wa[i][1].dataSync(), `${wa[i][0]} differs after resuming`);
  for (const e of [full, part, resumed]) e.model.dispose();
});

test('checkpoint round trip: same outputs, same optimizer state, exact resume', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-ckpt-'));
  const file = path.join(dir, 'checkpoint.aae');
  const cfg = quickConfig('semi_supervised', { epochs: 2, trainSize: 600 });
  // uninterrupted
  const full = createExperiment(cfg);
  await full.trainer.run({ evalSize: 200 });
  // interrupted after 5 batches of epoch 0, saved, reloaded, resumed
  const { run: part, outcome } = await trainStopped(cfg, 5);
  assert.equal(outcome, 'interrupted');
  saveCheckpoint(file, part.model, part.trainer.snapshot());
  const probe = loadMnist().test.images.subarray(0, 20 * PIXELS);
  const loaded = loadCheckpoint(file);
  assert.deepEqual(loaded.model.encode(probe), part.model.encode(probe));
  assert.deepEqual(loaded.model.reconstruct(probe), part.model.reconstruct(probe));
  assert.deepEqual(loaded.model.optimizers.generator.getState(), part.model.optimizers.generator.getState());
  loaded.model.dispose();
  const resumed = resumeExperiment(file);
  await resumed.trainer.run({ evalSize: 200 });
  const wa = full.model.namedWeights();
  const wb = resumed.model.namedWeights();
  for (let i = 0; i < wa.length; i++) {
    const a = wa[i][1].dataSync();
    const b = wb[i][1].dataSync();
    let maxDiff = 0;
    for (let j = 0; j < a.length; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j] - b[j]));
    assert.ok(maxDiff < 1e-5, `${wa[i][0]} differs by ${maxDiff}`);
  }
  assert.equal(resumed.trainer.history.length, 2);
  for (const e of [full, part, resumed]) e.model.dispose();
  // mismatches and damage are clear errors
  assert.throws(
    () => loadCheckpoint(file, { model: 'supervised' }),
    (e: Error) => e instanceof CheckpointError && /model = semi_supervised, not supervised/.test(e.message),
  );
  assert.throws(() => loadCheckpoint(file, { nZ: 8 }), /nZ = 2, not 8/);
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 1000));
  assert.throws(() => loadCheckpoint(file), /truncated or damaged|CRC-32/);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 7] ^= 0xff;
  fs.writeFileSync(file, flipped);
  assert.throws(() => loadCheckpoint(file), /damaged \(CRC-32 mismatch\)/);
  fs.writeFileSync(file, 'hello');
  assert.throws(() => loadCheckpoint(file), /not an aae-lab checkpoint/);
});

test('encode / decode / classify APIs have the right shapes', () => {
  const m = createModel(quickConfig('semi_supervised')) as SemiSupervisedAAE;
  const imgs = subset(loadMnist().test, 0, 7).images;
  assert.equal(m.encode(imgs).length, 7 * 2);
  assert.equal(m.decode(new Float32Array(6), [1, 2, 3]).length, 3 * PIXELS);
  assert.equal(m.classify(imgs).length, 7);
  const p = m.classProbabilities(imgs);
  assert.ok(Math.abs(p.subarray(0, 10).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  m.dispose();
});

test('a run continued to more epochs saves checkpoints that carry the new total', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-ckpt-'));
  const file = path.join(dir, 'checkpoint.aae');
  const short = createExperiment(quickConfig('supervised', { epochs: 1, trainSize: 300 }));
  await short.trainer.run({ evalSize: 100 });
  saveCheckpoint(file, short.model, short.trainer.snapshot());
  short.model.dispose();
  const longer = resumeExperiment(file, {}, undefined, 2);
  assert.equal(longer.config.epochs, 2);
  assert.equal(longer.model.config.epochs, 2);
  await longer.trainer.run({ evalSize: 100 });
  saveCheckpoint(file, longer.model, longer.trainer.snapshot());
  longer.model.dispose();
  const again = loadCheckpoint(file);
  assert.equal(again.config.epochs, 2);
  assert.equal(again.trainer!.epoch, 2);
  again.model.dispose();
});
