import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import { Rng } from '../lib/random';
import { N_LABELS, loadMnist, subset } from '../lib/data/mnist';
import { gaussian, modeCentres, sampleLabeled, PRIOR_NAMES } from '../lib/priors';
import { makeConfig, createModel } from '../lib/models';
import { prepareData } from '../lib/train/setup';
import { classError, mmd, medianDistance, assignModes, modeAccuracy, priorMatch } from '../lib/eval/metrics';
import { readResults, summarizeClassification, summarizePriorMatch, classificationTable, classifyResultName, bestClassificationRuns, spread, type ClassifyResult } from '../lib/eval/results';
import { resultsMain } from '../lib/cli/aae-results';

before(async () => {
  await initBackend();
});

test('classError: a perfect classifier has 0 error; known mistakes are counted', () => {
  const labels = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(classError(labels, labels), 0);
  assert.equal(classError([0, 1, 2, 3, 4, 5, 6, 7, 9, 8], labels), 0.2);
  assert.equal(classError(new Uint8Array(10).fill(3), labels), 0.9);
  assert.throws(() => classError([1, 2], labels), /2 predictions for 10 labels/);
});

test('mmd: the unbiased estimator matches a hand computation', () => {
  // x = y = {0, 1} in 1-D, one kernel of bandwidth 1, e = exp(-1/2):
  // within-sample off-diagonal means are e each; the cross mean over all 4 pairs is (1 + e) / 2;
  // MMD^2_u = e + e - 2 (1 + e) / 2 = e - 1.
  const x = Float32Array.from([0, 1]);
  const r = mmd(x, x, 1, { bandwidths: [1] });
  assert.ok(Math.abs(r.mmd2 - (Math.exp(-0.5) - 1)) < 1e-12, `mmd2 ${r.mmd2}`);
  assert.equal(r.mmd, 0);
  // two kernels add up
  const r2 = mmd(x, x, 1, { bandwidths: [1, 2] });
  assert.ok(Math.abs(r2.mmd2 - (Math.exp(-0.5) - 1 + Math.exp(-1 / 8) - 1)) < 1e-12);
  assert.throws(() => mmd(Float32Array.from([1, 2, 3]), x, 2), /not a whole number/);
});

test('mmd: identical distributions give about 0, separated ones clearly not', () => {
  const n = 800;
  const a = gaussian(n, 2, new Rng(1)).z;
  const b = gaussian(n, 2, new Rng(2)).z;
  const same = mmd(a, b, 2, { rng: new Rng(3) });
  const shifted = Float32Array.from(b, (v, i) => (i % 2 === 0 ? v + 1 : v));
  const apart = mmd(a, shifted, 2, { rng: new Rng(3) });
  const wider = mmd(
    a,
    Float32Array.from(b, (v) => 2 * v),
    2,
    { rng: new Rng(3) },
  );
  assert.ok(Math.abs(same.mmd2) < 0.01, `same distribution: mmd2 ${same.mmd2}`);
  assert.ok(apart.mmd2 > 0.1, `mean shifted by 1: mmd2 ${apart.mmd2}`);
  assert.ok(wider.mmd2 > 0.1, `twice the spread: mmd2 ${wider.mmd2}`);
  // the median heuristic is taken on the second sample: sqrt(2) * 2-D normal median distance ~ 1.67
  assert.equal(same.bandwidths.length, 3);
  assert.ok(Math.abs(same.bandwidths[1] - 1.67) < 0.1, `median ${same.bandwidths[1]}`);
  assert.ok(Math.abs(medianDistance(Float32Array.from([0, 0, 3, 4, 6, 8]), 2) - 5) < 1e-12);
});

test('assignModes: each mode centre belongs to its own label', () => {
  for (const prior of ['gaussian_mixture', 'swiss_roll'] as const) {
    assert.deepEqual(Array.from(assignModes(modeCentres(prior), 2, prior)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], prior);
  }
  // labeled gaussian: inside the unit circle is label 0; sectors of 40 degrees from angle 0 are 1..9
  const pts = Float32Array.from([0.1, 0.2, 2, 0.1, 0, 2, -2, -0.1, 0.5, -2]);
  assert.deepEqual(Array.from(assignModes(pts, 2, 'gaussian')), [0, 1, 3, 5, 8]);
  assert.throws(() => assignModes(pts, 3, 'gaussian_mixture'), /even n_z/);
});

test('modeAccuracy: ~1 for prior samples with their labels, chance level for shuffled labels', () => {
  const n = 3000;
  for (const prior of PRIOR_NAMES) {
    for (const nZ of [2, 4]) {
      const s = sampleLabeled(prior, n, nZ, new Rng(7));
      const acc = modeAccuracy(s.z, s.labels, nZ, prior);
      // the gaussian sectors are exact; swiss-roll segments are exact up to the curve's sampling;
      // mixture modes overlap near the origin, so a few samples sit closer to a neighbour
      const floor = prior === 'gaussian' ? 1 : prior === 'swiss_roll' ? 0.998 : 0.95;
      assert.ok(acc >= floor, `${prior} n_z ${nZ}: accuracy ${acc}`);
      const shuffled = Uint8Array.from(s.labels);
      new Rng(8).shuffle(shuffled);
      // chance = sum_k p_k^2 (0.1 for uniform labels; more for the labeled gaussian, whose
      // label 0 covers the unit disc, 39% of the mass)
      const counts = new Array(N_LABELS).fill(0);
      for (const l of s.labels) counts[l]++;
      const chance = counts.reduce((t, c) => t + (c / n) ** 2, 0);
      const accShuffled = modeAccuracy(s.z, shuffled, nZ, prior);
      assert.ok(Math.abs(accShuffled - chance) < 0.03, `${prior} n_z ${nZ}: shuffled ${accShuffled}, chance ${chance}`);
      if (prior !== 'gaussian') assert.ok(Math.abs(chance - 0.1) < 0.01);
    }
  }
});

test('"all labels": the whole training set is labeled and is the unlabeled set too', () => {
  const mnist = loadMnist();
  const cfg = makeConfig({ nLabeled: 55000, labeledFrom: 'balanced' }, 'paper');
  const d = prepareData(cfg, mnist);
  assert.equal(d.labeled!.count, 55000);
  assert.equal(d.train.count, 55000);
  // a balanced subset is N/10 per class, and the rest is unlabeled
  const b = prepareData(makeConfig({ nLabeled: 100, labeledFrom: 'balanced', seed: 4 }, 'paper'), mnist);
  const counts = new Array(N_LABELS).fill(0);
  for (const l of b.labeled!.labels) counts[l]++;
  assert.deepEqual(counts, new Array(N_LABELS).fill(10));
  assert.equal(b.train.count, 55000 - 100);
});

test('the validation split is held out: never among the training or labeled images', () => {
  const mnist = loadMnist();
  const key = (set: { images: Float32Array; count: number }, i: number) => set.images.subarray(i * 784, (i + 1) * 784).join(',');
  const keys = (set: { images: Float32Array; count: number }) => new Set(Array.from({ length: set.count }, (_, i) => key(set, i)));
  const b = prepareData(makeConfig({ nLabeled: 100, labeledFrom: 'balanced', seed: 4 }, 'paper'), mnist);
  assert.equal(b.validation!.count, 5000);
  const held = keys(b.validation!);
  for (let i = 0; i < b.labeled!.count; i++) assert.ok(!held.has(key(b.labeled!, i)), `labeled image ${i} is in the validation split`);
  for (let i = 0; i < b.train.count; i += 97) assert.ok(!held.has(key(b.train, i)), `training image ${i} is in the validation split`);
  // labels from the validation images (the original): the labeled ones leave the held-out split
  const v = prepareData(makeConfig({ nLabeled: 1000, labeledFrom: 'validation' }, 'fast'), mnist);
  assert.equal(v.validation!.count, 4000);
  const heldV = keys(v.validation!);
  for (let i = 0; i < v.labeled!.count; i++) assert.ok(!heldV.has(key(v.labeled!, i)), `labeled image ${i} is in the validation split`);
  assert.equal(prepareData(makeConfig({ model: 'supervised', prior: 'gaussian', nZ: 2 }), mnist).validation!.count, 5000);
});

test('the paper preset: 1000-unit layers, style n_z 10, batch 100, balanced labels', () => {
  const c = makeConfig({}, 'paper');
  assert.equal(c.model, 'semi_supervised');
  assert.deepEqual([c.nHidden, c.nZ, c.batchSize, c.labeledFrom, c.shuffle], [1000, 10, 100, 'balanced', true]);
});

test('priorMatch on a small model: numbers in range; no mode accuracy for the semi-supervised style', () => {
  const test = subset(loadMnist().test, 0, 300);
  const sup = createModel(makeConfig({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 8 }), new Rng(0));
  const semi = createModel(makeConfig({ model: 'semi_supervised', prior: 'gaussian', nZ: 4, nHidden: 8 }), new Rng(0));
  try {
    const a = priorMatch(sup, test, 'gaussian_mixture', 0);
    assert.equal(a.count, 300);
    assert.ok(a.mmd2 > 0 && a.mmd === Math.sqrt(a.mmd2), `untrained codes are not the prior: ${a.mmd2}`);
    assert.ok(a.modeAccuracy !== null && a.modeAccuracy >= 0 && a.modeAccuracy <= 1);
    assert.deepEqual(priorMatch(sup, test, 'gaussian_mixture', 0), a, 'seeded: same numbers again');
    const b = priorMatch(semi, test, 'gaussian', 0);
    assert.equal(b.modeAccuracy, null);
    assert.equal(b.nZ, 4);
  } finally {
    sup.dispose();
    semi.dispose();
  }
});

function fakeRun(labels: number, seed: number, testError: number | null, extra: Partial<ClassifyResult> = {}): ClassifyResult {
  return {
    kind: 'semi-supervised-classification',
    labels,
    seed,
    preset: 'paper',
    epochs: 100,
    config: makeConfig({ nLabeled: labels, seed }, 'paper'),
    history: [],
    wallSeconds: 7200,
    backend: 'wasm-blas',
    versions: { node: 'v20', tfjs: '4.22.0', aaeLab: '0.1.0' },
    date: '2025-01-01T00:00:00.000Z',
    complete: true,
    testError,
    ...extra,
  };
}

test('results aggregator: mean and sample std over seeds from hand-made files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-results-'));
  try {
    const write = (name: string, v: unknown) => fs.writeFileSync(path.join(dir, name), typeof v === 'string' ? v : JSON.stringify(v));
    write('semi-supervised-N100-seed0.json', fakeRun(100, 0, 0.02));
    write('semi-supervised-N100-seed1.json', fakeRun(100, 1, 0.03));
    write('semi-supervised-N100-seed2.json', fakeRun(100, 2, 0.04));
    write('semi-supervised-N1000-seed0.json', fakeRun(1000, 0, 0.025));
    write('semi-supervised-N1000-seed1.json', fakeRun(1000, 1, null, { complete: false }));
    write('broken.json', '{ not json');
    write('notes.txt', 'ignored');
    const read = readResults(dir);
    assert.equal(read.classification.length, 4);
    assert.deepEqual(read.skipped.map((s) => path.basename(s.file)).sort(), ['broken.json', 'semi-supervised-N1000-seed1.json']);
    const rows = summarizeClassification(read.classification);
    assert.equal(rows.length, 2);
    assert.equal(rows[0].labels, 100);
    assert.deepEqual(rows[0].seeds, [0, 1, 2]);
    assert.ok(Math.abs(rows[0].error.mean - 0.03) < 1e-12);
    assert.ok(Math.abs((rows[0].error.std as number) - 0.01) < 1e-12);
    assert.equal(rows[1].error.std, null);
    const md = classificationTable(rows);
    assert.match(md, /\| 100 \| paper \| 100 \| 50 \| 1000 \| clean \| - \| - \| 3 \| 3\.00 ± 1\.00 \| 1\.90 ± 0\.10 \| 2\.0 h \| wasm-blas \|/);
    assert.match(md, /\| 1000 \| paper \| 100 \| 50 \| 1000 \| clean \| - \| - \| 1 \| 2\.50 \| 1\.60 ± 0\.08 \|/);
    // a file written before the newer config fields existed pools with runs that set them to the old values
    const {
      labeledNoiseStd: _l,
      labeledShift: _ls,
      optimizer: _o,
      generatorLrFactor: _g,
      crossEntropyLrFactor: _c,
      momentum: _m,
      regularizationMomentum: _r,
      reconstructionLoss: _rl,
      ...oldConfig
    } = makeConfig({ nLabeled: 100, seed: 5 }, 'paper');
    const old = fakeRun(100, 5, 0.03, { config: oldConfig as ClassifyResult['config'] });
    assert.deepEqual(summarizeClassification([...read.classification, old])[0].seeds, [0, 1, 2, 5]);
    // noisy labeled batches are another setup, with their own row and name
    const noisy = fakeRun(100, 0, 0.02, { config: makeConfig({ nLabeled: 100, seed: 0, labeledNoiseStd: 0.3 }, 'paper') });
    const withNoisy = summarizeClassification([...read.classification, noisy]);
    assert.equal(withNoisy.length, 3);
    assert.match(classificationTable(withNoisy), /\| 100 \| paper \| 100 \| 50 \| 1000 \| noise 0\.3 \| - \| - \| 1 \| 2\.00 \|/);
    // so are shifted ones, alone or with noise
    const shifted = fakeRun(100, 0, 0.01, { config: makeConfig({ nLabeled: 100, seed: 0, labeledShift: 2 }, 'paper') });
    const both = fakeRun(100, 0, 0.015, { config: makeConfig({ nLabeled: 100, seed: 0, labeledNoiseStd: 0.3, labeledShift: 2 }, 'paper') });
    const withShifted = summarizeClassification([...read.classification, noisy, shifted, both]);
    assert.equal(withShifted.length, 5);
    assert.match(classificationTable(withShifted), /\| 1000 \| shift ±2 px \| - \| - \| 1 \| 1\.00 \|/);
    assert.match(classificationTable(withShifted), /\| 1000 \| noise 0\.3, shift ±2 px \| - \| - \| 1 \| 1\.50 \|/);
    assert.equal(classifyResultName(100, 30, 2, both.config), 'semi-supervised-N100-e30-ln0.3-ls2-seed2.json');
    // the best runs per label count: the setup with the most seeds, then the lowest mean error
    const shifted2 = fakeRun(100, 1, 0.012, { config: makeConfig({ nLabeled: 100, seed: 1, labeledShift: 2 }, 'paper') });
    const pick = (rs: ClassifyResult[]) => bestClassificationRuns(rs).map((r) => [r.labels, r.seed, r.testError]);
    assert.deepEqual(
      pick([...read.classification, noisy, shifted, both]).map((r) => r[0]),
      [100, 100, 100, 1000],
      'the 3-seed setup beats better single runs',
    );
    const plainSeeds = read.classification.filter((r) => r.labels === 100).slice(0, 2);
    assert.deepEqual(pick([...plainSeeds, shifted, shifted2, ...read.classification.filter((r) => r.labels === 1000)]), [
      [100, 0, 0.01],
      [100, 1, 0.012],
      [1000, read.classification.find((r) => r.labels === 1000)!.seed, 0.025],
    ]);
    // between setups that record a validation error the figure's runs are chosen as the targets
    // table chooses (bestGroup): the lower validation error, never the lower test error
    const valRun = (seed: number, test: number, val: number, c: Parameters<typeof makeConfig>[0]) =>
      fakeRun(100, seed, test, { config: makeConfig({ nLabeled: 100, seed, ...c }, 'paper'), history: [{ epoch: 0, lr: 1e-4, seconds: 1, test_error: test, val_error: val }] });
    const lowTest = [0, 1].map((seed) => valRun(seed, 0.01, 0.03, { labeledShift: 1 }));
    const lowVal = [0, 1].map((seed) => valRun(seed, 0.02, 0.015, { labeledNoiseStd: 0.1 }));
    assert.deepEqual(
      pick([...lowTest, ...lowVal]).map((r) => r[2]),
      [0.02, 0.02],
      'the setup with the lower validation error',
    );
    assert.equal(classifyResultName(100, 30, 2), 'semi-supervised-N100-e30-seed2.json');
    assert.equal(classifyResultName(100, 30, 2, noisy.config), 'semi-supervised-N100-e30-ln0.3-seed2.json');
    assert.equal(classifyResultName(100, 30, 2, makeConfig({}, 'paper-sgd')), 'semi-supervised-N100-e30-sgd-seed2.json');
    // runs of another setup (here: other epochs) are not pooled with these
    const other = fakeRun(100, 3, 0.5, { config: makeConfig({ nLabeled: 100, seed: 3, epochs: 5 }, 'paper') });
    assert.equal(summarizeClassification([...read.classification, other]).length, 3);
    // nor a model measured from a checkpoint (`classify --from`): its row shows the epochs it trained
    const notebook = fakeRun(100, 0, 0.04, { source: 'notebooks/runs/full/classify-N100-z10-seed0/checkpoint.aae', preset: null, epochs: 10, wallSeconds: 600 });
    const withNotebook = summarizeClassification([...read.classification, notebook]);
    assert.deepEqual(
      withNotebook.map((r) => [r.source, r.epochs, r.seeds.length]),
      [
        ['trained', 100, 3],
        ['checkpoint', 10, 1],
        ['trained', 100, 1],
      ],
    );
    assert.match(classificationTable(withNotebook), /\| 100 \| checkpoint \| 10 \| - \| 1000 \| clean \| - \| - \| 1 \| 4\.00 \| 1\.90 ± 0\.10 \| 10\.0 min \|/);
    assert.deepEqual(spread([1, 2, 3, 4]), { n: 4, mean: 2.5, std: Math.sqrt(5 / 3), min: 1, max: 4 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('end to end: `aae-results classify` then `prior-match` write valid result files, and `table` reads them', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-classify-'));
  const results = path.join(dir, 'results');
  const common = ['--seed', '1', '--hidden', '8', '--train-size', '200', '--epochs', '1', '--eval-size', '100', '--results', results, '--runs', path.join(dir, 'runs')];
  try {
    assert.equal(await resultsMain(['classify', '--labels', '100', ...common]), 0);
    const r = JSON.parse(fs.readFileSync(path.join(results, 'semi-supervised-N100-e1-h8-ts200-seed1.json'), 'utf8')) as ClassifyResult;
    assert.equal(r.kind, 'semi-supervised-classification');
    assert.deepEqual([r.labels, r.seed, r.epochs, r.complete, r.preset, r.source], [100, 1, 1, true, 'paper', 'trained']);
    assert.ok(typeof r.testError === 'number' && r.testError >= 0 && r.testError <= 1);
    assert.equal(r.history.length, 1);
    assert.ok(typeof r.history[0].test_error === 'number');
    assert.ok(typeof r.history[0].val_error === 'number' && typeof r.history[0].val_reconstruction === 'number', 'validation metrics every epoch');
    assert.ok(typeof r.history[0].labeled_error === 'number', "the labeled training images' error every epoch");
    assert.ok(r.wallSeconds > 0);
    assert.equal(r.versions.tfjs, '4.22.0');
    assert.ok(!Number.isNaN(Date.parse(r.date)));
    assert.deepEqual([r.config.nLabeled, r.config.labeledFrom, r.config.nHidden, r.config.trainSize], [100, 'balanced', 8, 200]);
    // a complete result is not overwritten without --force; bad options are usage errors
    assert.equal(await resultsMain(['classify', '--labels', '100', ...common]), 2);
    assert.equal(await resultsMain(['classify', '--labels', '105', ...common.slice(2)]), 2);
    assert.equal(await resultsMain(['classify', '--labels', '300', ...common.slice(2)]), 2, 'more labels than --train-size');

    assert.equal(await resultsMain(['prior-match', '--prior', 'swiss_roll', ...common]), 0);
    const p = JSON.parse(fs.readFileSync(path.join(results, 'prior-match-swiss_roll-z2-e1-h8-ts200-seed1.json'), 'utf8'));
    assert.deepEqual([p.kind, p.prior, p.nZ, p.count, p.complete, p.config.model], ['prior-match', 'swiss_roll', 2, 10000, true, 'supervised']);
    assert.ok(typeof p.mmd2 === 'number' && p.modeAccuracy >= 0 && p.modeAccuracy <= 1);
    const read = readResults(results);
    assert.equal(read.classification.length, 1);
    assert.equal(summarizePriorMatch(read.priorMatch)[0].prior, 'swiss_roll');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
