/**
 * The running average of the weights (config.weightAverage, `--weight-average`): its arithmetic,
 * the swap that evaluates on it and restores the weights bit for bit, the metrics training records
 * with it, its place in checkpoints (exact resume) and the flag.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../lib/backend';
import { makeConfig, createModel } from '../lib/models';
import { WeightAverage } from '../lib/nn/average';
import { createExperiment, resumeExperiment } from '../lib/train/setup';
import { saveCheckpoint, loadCheckpoint } from '../lib/train/checkpoint';
import { ConfigError } from '../lib/errors';
import { priorMatch } from '../lib/eval/metrics';
import { trainStopped } from './stopped';
import { editHeader } from './checkpoint-header';

before(async () => {
  await initBackend();
});

test('WeightAverage: decay min(d, (1 + t) / (10 + t)) per update; use swaps the averages in and restores the weights bit for bit, also nested and on a throw', () => {
  const w = tf.variable(tf.tensor1d([1, 2, 3]));
  const avg = new WeightAverage([w], 0.9);
  const expect = [1, 2, 3];
  for (let t = 0; t < 30; t++) {
    w.assign(tf.tensor1d([t, -t, 0.5 * t]));
    avg.update();
    const d = Math.min(0.9, (1 + t) / (10 + t));
    const now = [t, -t, 0.5 * t];
    for (let i = 0; i < 3; i++) expect[i] += (1 - d) * (now[i] - expect[i]);
  }
  assert.equal(avg.t, 30);
  const before = w.dataSync().slice();
  const inside = avg.use(() => {
    // Nested use stays on the averages (only the outermost call swaps).
    const nested = avg.use(() => w.dataSync().slice());
    return { outer: w.dataSync().slice(), nested };
  });
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(inside.outer[i] - expect[i]) < 1e-4, `average ${i}: ${inside.outer[i]} against ${expect[i]}`);
  assert.deepEqual(inside.nested, inside.outer);
  assert.notDeepEqual(inside.outer, before, 'the averages differ from the weights');
  assert.deepEqual(w.dataSync(), before, 'the weights are back after use');
  assert.throws(() => avg.use(() => avg.update()), /update inside use/);
  assert.throws(
    () =>
      avg.use(() => {
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.deepEqual(w.dataSync(), before, 'the weights are back after a throw');
  assert.throws(() => new WeightAverage([w], 1), /decay must be in \(0, 1\)/);
  avg.dispose();
  w.dispose();
});

test('weightAverage: training records metrics of the averaged weights, the model keeps the trained ones; none without it', async () => {
  const cfg = makeConfig({ model: 'semi_supervised', nZ: 2, nHidden: 64, batchSize: 50, trainSize: 600, epochs: 1, nLabeled: 100, weightAverage: 0.95 }, 'paper');
  const exp = createExperiment(cfg);
  assert.ok(exp.model.weightAverage, 'the model keeps an average');
  assert.equal(exp.model.weightAverage!.vars.length, [exp.model.encoder, exp.model.decoder].flatMap((n) => n.weights()).length, 'encoder and decoder weights are averaged');
  const counts: number[] = [];
  await exp.trainer.run({ evalSize: 300, callbacks: { onBatchEnd: () => void counts.push(tf.memory().numTensors) } });
  assert.equal(counts.at(-1), counts[2], 'tensor count grows during training');
  const last = exp.trainer.history.at(-1)!;
  assert.equal(exp.model.weightAverage!.t, exp.trainer.batchesPerEpoch, 'one update per step');
  assert.ok(exp.model.weightAverage!.t > 5);
  const raw = exp.model.evaluate({ ...exp.data.test, images: exp.data.test.images.subarray(0, 300 * 784), labels: exp.data.test.labels.subarray(0, 300), count: 300 });
  const averaged = exp.trainer.evaluate(300);
  assert.equal(last.test_reconstruction, averaged.test_reconstruction, "the recorded metric is the averaged weights'");
  assert.equal(last.val_error, averaged.val_error);
  assert.notEqual(raw.reconLoss, last.test_reconstruction, 'the trained weights measure differently');
  // priorMatch measures the averaged weights' codes too
  const few = { images: exp.data.test.images.subarray(0, 300 * 784), labels: exp.data.test.labels.subarray(0, 300), count: 300 };
  const avg = exp.model.weightAverage!;
  const onAverage = priorMatch(exp.model, few);
  exp.model.weightAverage = null;
  const onTrained = priorMatch(exp.model, few);
  const swapped = avg.use(() => priorMatch(exp.model, few));
  exp.model.weightAverage = avg;
  assert.equal(onAverage.mmd2, swapped.mmd2);
  assert.notEqual(onAverage.mmd2, onTrained.mmd2);
  exp.model.dispose();
  const plain = createModel(makeConfig({ model: 'semi_supervised', nHidden: 16 }, 'paper'));
  assert.equal(plain.weightAverage, null);
  plain.dispose();
  assert.throws(
    () => makeConfig({ weightAverage: 1 }),
    (e: Error) => e instanceof ConfigError && /weightAverage must be 0 \(none\) or a decay in \(0, 1\), got 1/.test(e.message),
  );
});

test('weightAverage: a checkpoint holds the average; resuming from the middle of an epoch ends bit for bit as the run without a stop', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-wa-'));
  const file = path.join(dir, 'checkpoint.aae');
  const cfg = makeConfig({ model: 'semi_supervised', nZ: 2, nHidden: 64, batchSize: 50, trainSize: 600, epochs: 2, nLabeled: 100, weightAverage: 0.99 }, 'paper');
  const full = createExperiment(cfg);
  await full.trainer.run({ evalSize: 200 });
  const part = (await trainStopped(cfg, 7)).run;
  saveCheckpoint(file, part.model, part.trainer.snapshot());
  const loaded = loadCheckpoint(file);
  assert.deepEqual(loaded.model.weightAverage!.getState(), part.model.weightAverage!.getState());
  loaded.model.dispose();
  const resumed = resumeExperiment(file);
  await resumed.trainer.run({ evalSize: 200 });
  assert.deepEqual(resumed.model.weightAverage!.getState(), full.model.weightAverage!.getState(), 'the averages after resuming');
  assert.deepEqual(resumed.trainer.history.at(-1), { ...full.trainer.history.at(-1)!, seconds: resumed.trainer.history.at(-1)!.seconds });
  // A checkpoint whose header lacks the average does not load as a run that keeps one.
  const broken = path.join(dir, 'no-average.aae');
  fs.copyFileSync(file, broken);
  editHeader(broken, (h) => delete h.average);
  assert.throws(() => loadCheckpoint(broken), /has no running average of the weights for its weightAverage 0.99/);
  for (const e of [full, part, resumed]) e.model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});
