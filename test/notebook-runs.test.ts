import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import { loadMnist, subset, type Mnist } from '../lib/data/mnist';
import { makeConfig, SemiSupervisedAAE } from '../lib/models';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError, CHECKPOINT_FILE, readCheckpoint } from '../lib/train/checkpoint';
import { isQuickMode, notebookParams, runDir, trainOrLoad, configDifferences, QUICK_SETTINGS } from '../lib/notebook-runs';
import { entropyBits, mutualInformationBits, quantileBins, knnAccuracy, swapLabels, styleLabelInformation } from '../lib/eval/separation';
import { createExperiment } from '../lib/train/setup';

let mnist: Mnist;
before(async () => {
  await initBackend();
  mnist = loadMnist();
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'aae-nb-'));
const silent = () => {};

test('quick mode is read from AAE_QUICK', () => {
  assert.equal(isQuickMode({ AAE_QUICK: '1' }), true);
  assert.equal(isQuickMode({ AAE_QUICK: 'yes' }), true);
  assert.equal(isQuickMode({ AAE_QUICK: '0' }), false);
  assert.equal(isQuickMode({}), false);
});

test('notebookParams: the notebook overrides the preset; quick mode shrinks the run', () => {
  const full = notebookParams({ config: { model: 'supervised', prior: 'gaussian_mixture', nZ: 2, epochs: 7 } }, false);
  assert.equal(full.config.nHidden, 1000);
  assert.equal(full.config.epochs, 7);
  assert.equal(full.config.trainSize, 0);
  assert.equal(full.evalSize, 10000);
  const quick = notebookParams({ config: { model: 'supervised', prior: 'gaussian_mixture', nZ: 2, epochs: 7 } }, true);
  assert.equal(quick.config.nHidden, QUICK_SETTINGS.nHidden);
  assert.equal(quick.config.epochs, QUICK_SETTINGS.epochs);
  assert.equal(quick.config.trainSize, QUICK_SETTINGS.trainSize);
  assert.equal(quick.config.prior, 'gaussian_mixture');
  assert.equal(quick.evalSize, QUICK_SETTINGS.evalSize);
  assert.throws(() => notebookParams({ config: { nZ: 3, model: 'supervised', prior: 'swiss_roll' } }, false), /even n_z/);
});

test('runDir keeps quick-mode models apart from full-run models', () => {
  assert.equal(runDir('a', false, '/r'), path.join('/r', 'full', 'a'));
  assert.equal(runDir('a', true, '/r'), path.join('/r', 'quick', 'a'));
  assert.throws(() => runDir('../x', false, '/r'), /run name/);
});

test('trainOrLoad trains, then loads, then continues to more epochs, and refuses another model', async () => {
  const dir = tmp();
  const small: Mnist = { ...mnist, test: subset(mnist.test, 0, 200) };
  const cfg = makeConfig({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 16, epochs: 1, trainSize: 200, seed: 3 });
  let batches = 0;
  const first = await trainOrLoad(cfg, dir, { mnist: small, log: silent, callbacks: { onBatchEnd: () => void batches++ } });
  assert.equal(first.source, 'trained');
  assert.equal(batches, 2);
  assert.equal(first.history.length, 1);
  assert.ok(fs.existsSync(path.join(dir, CHECKPOINT_FILE)));
  const codes = first.experiment.model.encode(small.test.images.subarray(0, 784 * 5));

  // Progress lines name the checkpoint relative to the working folder when it lies inside it (a
  // notebook's saved outputs then carry no machine's path), else in full.
  const lines: string[] = [];
  const cwd = process.cwd();
  process.chdir(path.dirname(dir));
  let again;
  try {
    again = await trainOrLoad(cfg, dir, { mnist: small, log: (l) => lines.push(l), callbacks: { onBatchEnd: () => assert.fail('a loaded model must not train') } });
  } finally {
    process.chdir(cwd);
  }
  assert.deepEqual(lines, [`loaded ${path.join(path.basename(dir), CHECKPOINT_FILE)} (1 epoch trained)`]);
  assert.equal(again.source, 'loaded');
  assert.deepEqual(again.experiment.model.encode(small.test.images.subarray(0, 784 * 5)), codes);
  assert.equal(again.history.length, 1);

  const longer = await trainOrLoad({ ...cfg, epochs: 2 }, dir, { mnist: small, log: silent });
  assert.equal(longer.source, 'resumed');
  assert.equal(longer.history.length, 2);
  // Continuing gives exactly what two epochs from scratch give.
  const straight = await trainOrLoad({ ...cfg, epochs: 2 }, tmp(), { mnist: small, log: silent });
  assert.deepEqual(longer.experiment.model.encode(small.test.images.subarray(0, 784 * 5)), straight.experiment.model.encode(small.test.images.subarray(0, 784 * 5)));

  const other = { ...cfg, nHidden: 8 };
  await assert.rejects(trainOrLoad(other, dir, { mnist: small, log: silent }), (e: Error) => e instanceof CheckpointError && /nHidden: 16 → 8/.test(e.message));
  const retrained = await trainOrLoad(other, dir, { mnist: small, log: silent, onMismatch: 'retrain' });
  assert.equal(retrained.source, 'trained');
  assert.deepEqual(configDifferences(cfg, other), ['nHidden: 16 → 8']);
  for (const r of [first, again, longer, straight, retrained]) r.experiment.model.dispose();
});

test('trainOrLoad takes networks by value: trains them, loads and continues them when passed again', async () => {
  const dir = tmp();
  const small: Mnist = { ...mnist, test: subset(mnist.test, 0, 200) };
  const cfg = makeConfig({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 16, epochs: 1, trainSize: 200, seed: 4 });
  const encoder = () =>
    tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
  const first = await trainOrLoad(cfg, dir, { mnist: small, log: silent, networks: { encoder: encoder() } });
  assert.equal(first.source, 'trained');
  // the checkpoint holds the given encoder's weights, not the built-in MLP's
  const { header } = readCheckpoint(path.join(dir, CHECKPOINT_FILE));
  assert.equal(header.networks?.encoder?.given, true);
  assert.ok(
    header.weights.some((w) => w.name === 'encoder/dense_1/kernel'),
    header.weights.map((w) => w.name).join(', '),
  );
  const codes = first.experiment.model.encode(small.test.images.subarray(0, 784 * 5));
  const again = await trainOrLoad(cfg, dir, { mnist: small, log: silent, networks: { encoder: encoder() } });
  assert.equal(again.source, 'loaded');
  assert.deepEqual(again.experiment.model.encode(small.test.images.subarray(0, 784 * 5)), codes);
  const longer = await trainOrLoad({ ...cfg, epochs: 2 }, dir, { mnist: small, log: silent, networks: { encoder: encoder() } });
  assert.equal(longer.source, 'resumed');
  assert.equal(longer.history.length, 2);
  // without the networks the checkpoint is refused, naming the network it needs
  await assert.rejects(trainOrLoad(cfg, dir, { mnist: small, log: silent }), /encoder/);
  for (const r of [first, again, longer]) r.experiment.model.dispose();
});

test('entropy and mutual information in bits', () => {
  assert.equal(entropyBits([5, 5]), 1);
  assert.equal(entropyBits([4, 0, 0, 0]), 0);
  assert.ok(Math.abs(entropyBits([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]) - Math.log2(10)) < 1e-12);
  const a = Array.from({ length: 1000 }, (_, i) => i % 4);
  assert.ok(Math.abs(mutualInformationBits(a, a, 4, 4) - 2) < 1e-12, 'a variable tells all about itself');
  const b = Array.from({ length: 1000 }, (_, i) => Math.floor(i / 4) % 2);
  assert.ok(mutualInformationBits(a, b, 4, 2) < 1e-9, 'independent by construction');
  assert.throws(() => mutualInformationBits([0, 5], [0, 0], 4, 1), /outside/);
});

test('quantile bins are equal-count and combine dimensions', () => {
  const v = Float32Array.from({ length: 200 }, (_, i) => (i * 37) % 100);
  const cells = quantileBins(v, 2, 4);
  const counts = new Array(16).fill(0);
  for (const c of cells) counts[c]++;
  assert.equal(
    counts.reduce((s, x) => s + x, 0),
    100,
  );
  const one = quantileBins(Float32Array.from([5, 1, 3, 2]), 1, 2);
  assert.deepEqual(Array.from(one), [1, 0, 1, 0]);
});

test('k-NN accuracy: 1 on separated clusters, about chance on noise', () => {
  const n = 300;
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const sep = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    sep[2 * i] = labels[i] * 10 + (i % 7) * 0.01;
    sep[2 * i + 1] = (i % 5) * 0.01;
  }
  assert.equal(knnAccuracy(sep, 2, labels, 5), 1);
  const noise = Float32Array.from({ length: n * 2 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
  assert.ok(knnAccuracy(noise, 2, labels, 5) < 0.6);
});

test('label swapping and style information on a small semi-supervised model', async () => {
  const cfg = makeConfig({ model: 'semi_supervised', prior: 'gaussian', nZ: 2, nHidden: 16, epochs: 1, trainSize: 200, nLabeled: 100 });
  const exp = createExperiment(cfg, { ...mnist, test: subset(mnist.test, 0, 100) });
  await exp.trainer.run({ epochs: 1 });
  const model = exp.model as SemiSupervisedAAE;
  const sw = swapLabels(model, exp.data.test, 30);
  assert.equal(sw.images, 30);
  assert.equal(
    sw.confusion.flat().reduce((s, x) => s + x, 0),
    300,
  );
  for (const f of [sw.followsCondition, sw.followsConditionWhenSwapped, sw.followsSourceWhenSwapped, ...sw.perCondition]) assert.ok(f >= 0 && f <= 1);
  assert.ok(sw.followsConditionWhenSwapped + sw.followsSourceWhenSwapped <= 1);
  assert.ok(Math.abs(sw.conditionEntropy - Math.log2(10)) < 1e-12);
  const st = styleLabelInformation(model, exp.data.test, { count: 100, bins: 4, k: 5 });
  assert.ok(st.miStyleLabel >= 0 && st.miStyleLabel <= st.labelEntropy);
  assert.ok(st.knnAccuracy >= 0 && st.knnAccuracy <= 1);
  assert.throws(() => swapLabels(model, exp.data.test, 0), /count/);
  model.dispose();
});
