import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import { makeConfig, createModel, type AAEConfig } from '../lib/models';
import { createExperiment } from '../lib/train/setup';
import { saveCheckpoint } from '../lib/train/checkpoint';
import { readResults, summarizeClassification, summarizePriorMatch, classificationTable, priorMatchTable, type ClassifyResult, type ClusterResult, type PriorMatchResult } from '../lib/eval/results';
import { resultsMain, checkpointSource, presetOf } from '../lib/cli/aae-results';

before(async () => {
  await initBackend();
});

/** A folder that looks like an aae-lab checkout, so result files name checkpoints relative to it. */
function fakeCheckout(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-from-'));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'aae-lab' }));
  return root;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

test('checkpointSource: relative to the aae-lab checkout holding the checkpoint, else absolute', () => {
  const root = fakeCheckout();
  try {
    const inside = path.join(root, 'notebooks', 'runs', 'full', 'x', 'checkpoint.aae');
    assert.equal(checkpointSource(inside), 'notebooks/runs/full/x/checkpoint.aae');
    const outside = path.join(path.dirname(root), 'elsewhere', 'checkpoint.aae');
    assert.equal(checkpointSource(outside), outside);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('presetOf: the preset named in the metadata, else the only preset giving the config', () => {
  const fast = makeConfig({ model: 'supervised', prior: 'swiss_roll', nZ: 2, epochs: 3, seed: 5 }, 'fast');
  assert.equal(presetOf(fast), 'fast');
  assert.equal(presetOf(makeConfig({ nLabeled: 100, nHidden: 8, epochs: 2 }, 'paper')), 'paper');
  assert.equal(presetOf(makeConfig({ nLabeled: 100, evalEvery: 5 }, 'paper')), 'paper', 'how often a run evaluated is no part of its preset');
  const changed: AAEConfig = {
    ...fast,
    lrSchedule: [
      { from: 0, lr: 1e-3 },
      { from: 1, lr: 1e-4 },
    ],
  };
  assert.equal(presetOf(changed), null, 'another learning-rate schedule is no preset');
  assert.equal(presetOf(changed, { preset: 'paper' }), 'paper');
  assert.equal(presetOf(changed, { preset: 'nonsense' }), null);
});

/** `command --from` with a checkpoint of a model of `cfg` (another kind than it measures): exit 2, nothing written. */
async function assertRefusesKind(root: string, command: string, cfg: AAEConfig): Promise<void> {
  const model = createModel(cfg);
  const file = path.join(root, `${cfg.model}.aae`);
  saveCheckpoint(file, model, null);
  model.dispose();
  assert.equal(await resultsMain([command, '--from', file, '--results', path.join(root, 'other')]), 2);
  assert.ok(!fs.existsSync(path.join(root, 'other')));
}

test('classify --from: a model trained elsewhere becomes a result file, incomplete until its training has finished', async () => {
  const root = fakeCheckout();
  const results = path.join(root, 'results');
  const ckpt = path.join(root, 'notebooks', 'runs', 'full', 'classify-N100-z4-seed3', 'checkpoint.aae');
  const file = path.join(results, 'semi-supervised-N100-e2-z4-ld1-h8-ts200-seed3.json');
  // notebook 05's way: the paper preset with the learning-rate drop moved, so no preset is recognised
  const cfg = makeConfig(
    {
      model: 'semi_supervised',
      nLabeled: 100,
      nZ: 4,
      nHidden: 8,
      trainSize: 200,
      epochs: 2,
      seed: 3,
      lrSchedule: [
        { from: 0, lr: 1e-3 },
        { from: 1, lr: 1e-4 },
      ],
    },
    'paper',
  );
  const exp = createExperiment(cfg);
  const from = ['classify', '--from', ckpt, '--results', results];
  try {
    await exp.trainer.run({ epochs: 1, evalSize: 50 });
    saveCheckpoint(ckpt, exp.model, exp.trainer.snapshot(), { savedBy: 'trainOrLoad' });
    assert.equal(await resultsMain(from), 0);
    let r = readJson<ClassifyResult>(file);
    assert.deepEqual(
      [r.kind, r.labels, r.seed, r.preset, r.epochs, r.complete, r.source],
      ['semi-supervised-classification', 100, 3, null, 1, false, 'notebooks/runs/full/classify-N100-z4-seed3/checkpoint.aae'],
    );
    assert.ok(typeof r.testError === 'number' && r.testError >= 0 && r.testError <= 1);
    assert.deepEqual(r.config, cfg);
    assert.equal(r.history.length, 1);
    assert.equal(r.wallSeconds, r.history[0].seconds);
    assert.equal(r.versions.tfjs, '4.22.0');
    assert.equal(readResults(results).classification.length, 0, 'the table leaves an incomplete run out');

    // training finished: the incomplete result of the same checkpoint is replaced without --force
    await exp.trainer.run({ epochs: 2, evalSize: 50 });
    saveCheckpoint(ckpt, exp.model, exp.trainer.snapshot(), { savedBy: 'trainOrLoad' });
    assert.equal(await resultsMain(from), 0);
    r = readJson<ClassifyResult>(file);
    assert.deepEqual([r.epochs, r.complete, r.history.length], [2, true, 2]);
    assert.ok(Math.abs(r.wallSeconds - (r.history[0].seconds + r.history[1].seconds)) < 1e-9);
    const error = r.testError;

    // a complete result is kept without --force; training options do not apply; the seed is the model's
    assert.equal(await resultsMain(from), 2);
    assert.equal(await resultsMain([...from, '--force', '--epochs', '5']), 2);
    assert.equal(await resultsMain([...from, '--force', '--labels', '100']), 2);
    assert.equal(await resultsMain([...from, '--force', '--seed', '4']), 2);
    assert.equal(await resultsMain([...from, '--force', '--seed', '3']), 0);
    assert.equal(readJson<ClassifyResult>(file).testError, error, 'the same model measures the same');

    // the table: one row marked as from a checkpoint, epochs trained and their summed seconds
    const rows = summarizeClassification(readResults(results).classification);
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].source, rows[0].preset, rows[0].epochs, rows[0].wallSeconds], ['checkpoint', null, 2, r.wallSeconds]);
    assert.match(classificationTable(rows), /\| 100 \| checkpoint \| 2 \| 1 \| 8 \| clean \| - \| --n_z 4 --train-size 200 \| 1 \| /);

    // a supervised model has no label head to classify with
    await assertRefusesKind(root, 'classify', makeConfig({ model: 'supervised', prior: 'gaussian', nZ: 2, nHidden: 8 }, 'fast'));
  } finally {
    exp.model.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('prior-match --from: epochs, history and wall time from the checkpoint, its preset recognised', async () => {
  const root = fakeCheckout();
  const results = path.join(root, 'results');
  const ckpt = path.join(root, 'notebooks', 'runs', 'full', 'supervised-gaussian_mixture-z2', 'checkpoint.aae');
  // notebook 02's way: the fast preset with prior, n_z, epochs and seed set
  const cfg = makeConfig({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 8, trainSize: 200, epochs: 1, seed: 0 }, 'fast');
  const exp = createExperiment(cfg);
  try {
    await exp.trainer.run({ evalSize: 50 });
    saveCheckpoint(ckpt, exp.model, exp.trainer.snapshot(), { savedBy: 'trainOrLoad' });
    const args = ['prior-match', '--prior', 'gaussian_mixture', '--from', ckpt, '--max-samples', '200', '--results', results];
    assert.equal(await resultsMain([...args, '--seed', '2']), 2, "the seed is the model's (0), not another");
    assert.equal(await resultsMain(args), 0);
    const p = readJson<PriorMatchResult>(path.join(results, 'prior-match-gaussian_mixture-z2-e1-h8-ts200-seed0.json'));
    assert.deepEqual(
      [p.kind, p.prior, p.nZ, p.count, p.seed, p.config.seed, p.preset, p.epochs, p.complete, p.source],
      ['prior-match', 'gaussian_mixture', 2, 10000, 0, 0, 'fast', 1, true, 'notebooks/runs/full/supervised-gaussian_mixture-z2/checkpoint.aae'],
    );
    assert.equal(p.wallSeconds, p.history[0].seconds);
    assert.ok(typeof p.mmd2 === 'number' && typeof p.modeAccuracy === 'number');
    assert.equal(await resultsMain(args), 2, 'a complete result is kept without --force');
    assert.equal(await resultsMain([...args.slice(0, 2), 'swiss_roll', ...args.slice(3), '--force']), 2, 'another prior than the model was trained with');
    assert.equal(await resultsMain([...args, '--force', '--preset', 'paper']), 2, 'training options do not apply');
    const rows = summarizePriorMatch(readResults(results).priorMatch);
    assert.deepEqual([rows.length, rows[0].source, rows[0].epochs], [1, 'checkpoint', 1]);
    assert.match(priorMatchTable(rows), /\| gaussian_mixture \| 2 \| fast \(checkpoint\) \| 1 \| 1 \| /);
  } finally {
    exp.model.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('cluster --from: a clustering model trained elsewhere is measured as its training measured it: the same cluster labels and test error', async () => {
  const root = fakeCheckout();
  const trained = ['cluster', '--clusters', '4', '--n_z', '2', '--hidden', '8', '--train-size', '200', '--epochs', '2', '--lr-drop', '1', '--seed', '5', '--no-progress'];
  const runs = path.join(root, 'runs');
  try {
    assert.equal(await resultsMain([...trained, '--results', path.join(root, 'trained'), '--runs', runs]), 0);
    const [name] = fs.readdirSync(path.join(root, 'trained')).filter((f) => f.endsWith('.json'));
    const ckpt = path.join(runs, path.basename(name, '.json'), 'checkpoint.aae');
    const from = ['cluster', '--from', ckpt, '--results', path.join(root, 'measured')];
    assert.equal(await resultsMain(from), 0);
    const [a, b] = [readJson<ClusterResult>(path.join(root, 'trained', name)), readJson<ClusterResult>(path.join(root, 'measured', name))];
    assert.deepEqual([b.kind, b.clusters, b.seed, b.epochs, b.complete, b.source], ['clustering', 4, 5, 2, true, path.relative(root, ckpt)]);
    assert.deepEqual(b.clusterLabels, a.clusterLabels);
    assert.equal(b.testError, a.testError);
    assert.deepEqual(b.config, a.config);
    assert.equal(readResults(path.join(root, 'measured')).clustering.length, 1);
    // training options do not apply, the seed is the model's, a complete result is kept without --force
    assert.equal(await resultsMain([...from, '--force', '--clusters', '4']), 2);
    assert.equal(await resultsMain([...from, '--force', '--seed', '4']), 2);
    assert.equal(await resultsMain(from), 2);
    assert.equal(await resultsMain([...from, '--force', '--seed', '5']), 0);
    assert.equal(readJson<ClusterResult>(path.join(root, 'measured', name)).testError, a.testError, 'the same model measures the same');
    // a semi-supervised model is no clustering model
    await assertRefusesKind(root, 'cluster', makeConfig({ model: 'semi_supervised', nZ: 2, nHidden: 8 }, 'fast'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
