/**
 * The library's front door (lib/index.ts, lib/api/experiment.ts): the names at the top and under
 * namespaces, experiment() typed by its model, fit with callbacks, an AbortSignal and a checkpoint
 * file, encode/decode/classify/sample/evaluate/figures/save/load, and the backend on first use.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as aae from '../lib';

let mnist: aae.data.Mnist;
let root: string;
before(async () => {
  await aae.ready();
  const m = aae.data.loadMnist();
  mnist = { train: aae.data.subset(m.train, 0, 400), validation: aae.data.subset(m.validation, 0, 100), test: aae.data.subset(m.test, 0, 200) };
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-api-'));
  process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
});

const small = { nHidden: 32, batchSize: 50, epochs: 2, seed: 4 } as const;

test('the entry point: a dozen names at the top, the rest under namespaces, no internals', () => {
  const top = Object.keys(aae).sort();
  const namespaces = ['backend', 'data', 'display', 'figures', 'metrics', 'models', 'nets', 'notebook', 'priors', 'results', 'tf', 'train'];
  const names = ['CheckpointError', 'ConfigError', 'DataError', 'Experiment', 'Rng', 'datasetFromArrays', 'experiment', 'images', 'initBackend', 'load', 'loadDataset', 'makeConfig', 'ready'];
  assert.deepEqual(top, [...names, ...namespaces].sort());
  // The native kernels, the settings table and the CLIs stay inside.
  const everything = new Set(namespaces.filter((n) => n !== 'tf').flatMap((n) => Object.keys((aae as unknown as Record<string, object>)[n])));
  for (const internal of ['installNativeKernels', 'uninstallNativeKernels', 'loadNativeAddon', 'nativeAdam', 'SETTINGS', 'main', 'resultsMain', 'setAtomicWriteHook']) {
    assert.ok(!everything.has(internal), `${internal} is exported`);
  }
  // tf is the engine the library runs on: a tensor made with it is the library's.
  assert.equal(aae.tf.getBackend(), aae.backend.activeBackend()!.tfBackend);
});

test('experiment() types the model by its name; fit calls back per epoch and batch; encode, decode, sample, evaluate, figures', async () => {
  const exp = await aae.experiment({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, ...small }, { dataset: mnist });
  try {
    assert.ok(exp.model instanceof aae.models.SupervisedAAE);
    // @ts-expect-error the supervised model has no label head: classify does not type-check
    assert.throws(() => exp.classify(aae.images(mnist.test, 5)), /no label head/);
    const epochs: number[] = [];
    let batches = 0;
    const r = await exp.fit({ onEpochEnd: (m) => void epochs.push(m.epoch), onBatchEnd: () => void batches++, evalSize: 100 });
    assert.deepEqual(epochs, [0, 1]);
    assert.equal(batches, 2 * (400 / 50));
    assert.equal(r.outcome, 'completed');
    assert.equal(r.epochs, 2);
    assert.equal(exp.history.length, 2);
    const x = aae.images(mnist.test, 10);
    const z = exp.encode(x);
    assert.equal(z.length, 10 * 2);
    assert.equal(exp.decode(z).length, 10 * 784);
    assert.equal(exp.reconstruct(x).length, 10 * 784);
    const s1 = exp.sample(20, { seed: 7 });
    const s2 = exp.sample(20, { seed: 7 });
    assert.deepEqual(s1, s2);
    assert.notDeepEqual(exp.sample(20, { seed: 8 }).codes, s1.codes);
    assert.equal(s1.images.length, 20 * 784);
    assert.ok(s1.labels.every((l) => l < 10));
    assert.ok(s1.images.every((v) => v >= 0 && v <= 1));
    const ev = exp.evaluate({ evalSize: 100 });
    assert.deepEqual(Object.keys(ev).sort(), ['test_reconstruction', 'val_reconstruction']);
    assert.deepEqual(
      exp.figures({ only: ['restoration', 'latent_scatter'] }).map((f) => f.name),
      ['restoration', 'latent_scatter'],
    );
  } finally {
    exp.dispose();
  }
});

test('the semi-supervised experiment classifies; is() narrows a loaded experiment', async () => {
  const exp = await aae.experiment({ model: 'semi_supervised', nZ: 2, nLabeled: 100, ...small, epochs: 1 }, { dataset: mnist });
  try {
    await exp.fit({ evalSize: 100 });
    const y = exp.classify(aae.images(mnist.test, 50));
    assert.ok(y instanceof Uint8Array && y.length === 50 && y.every((v) => v < 10));
    const file = path.join(root, 'semi.aae');
    exp.save(file);
    const back = await aae.load(file);
    try {
      assert.ok(back.is('semi_supervised'));
      if (back.is('semi_supervised')) assert.deepEqual(back.classify(aae.images(mnist.test, 50)), y);
      assert.ok(!back.is('supervised'));
    } finally {
      back.dispose();
    }
  } finally {
    exp.dispose();
  }
});

test('fit stops on an AbortSignal after the batch; fit again (or load and fit) ends exactly where an uninterrupted run ends', async () => {
  const settings = { model: 'supervised', prior: 'gaussian', nZ: 2, ...small } as const;
  const straight = await aae.experiment(settings, { dataset: mnist });
  await straight.fit({ evalSize: 100 });
  const file = path.join(root, 'stopped.aae');
  const stopped = await aae.experiment(settings, { dataset: mnist });
  const ac = new AbortController();
  const r1 = await stopped.fit({ evalSize: 100, signal: ac.signal, checkpoint: file, onBatchEnd: (b) => (b.epoch === 1 && b.batch === 3 ? ac.abort() : undefined) });
  assert.equal(r1.outcome, 'interrupted');
  assert.equal(r1.epochs, 1);
  // the checkpoint holds the exact position: a new process would load it and continue
  const resumed = await aae.load(file, { model: 'supervised', dataset: mnist });
  const r2 = await resumed.fit({ evalSize: 100 });
  assert.equal(r2.outcome, 'completed');
  const r3 = await stopped.fit({ evalSize: 100 });
  assert.equal(r3.outcome, 'completed');
  const x = aae.images(mnist.test, 20);
  assert.deepEqual(resumed.encode(x), straight.encode(x));
  assert.deepEqual(stopped.encode(x), straight.encode(x));
  assert.deepEqual(
    resumed.history.map((h) => h.test_reconstruction),
    straight.history.map((h) => h.test_reconstruction),
  );
  for (const e of [straight, stopped, resumed]) e.dispose();
});

test('bad input is one clear error naming the choices', async () => {
  await assert.rejects(
    // @ts-expect-error not a model
    aae.experiment({ model: 'bogus' }),
    (e: Error) => e instanceof aae.ConfigError && /settings.model must be one of supervised, semi_supervised, clustering, unsupervised/.test(e.message),
  );
  // @ts-expect-error not a config field
  await assert.rejects(aae.experiment({ model: 'supervised', nZed: 2 }), /unknown config field "nZed"/);
  // @ts-expect-error not an option
  await assert.rejects(aae.experiment({ model: 'supervised' }, { data: mnist }), /unknown option "data"; valid options: dataset, networks/);
  const exp = await aae.experiment({ model: 'supervised', prior: 'gaussian', nZ: 2, ...small }, { dataset: mnist });
  try {
    // @ts-expect-error not a fit option
    await assert.rejects(exp.fit({ epoch: 3 }), /unknown option "epoch"; valid options: epochs/);
    const file = path.join(root, 'sup.aae');
    exp.save(file);
    await assert.rejects(aae.load(file, { model: 'semi_supervised' }), /model/);
  } finally {
    exp.dispose();
  }
});

test('a network given as a function is built once the backend is ready, and again on load', async () => {
  let built = 0;
  const encoder = () => {
    built++;
    return aae.tf.sequential({ layers: [aae.tf.layers.dense({ inputShape: [784], units: 16, activation: 'relu' }), aae.tf.layers.dense({ units: 2 })] });
  };
  const exp = await aae.experiment({ model: 'supervised', prior: 'gaussian', nZ: 2, ...small, epochs: 1 }, { dataset: mnist, networks: { encoder } });
  await exp.fit({ evalSize: 100 });
  const file = path.join(root, 'net.aae');
  exp.save(file);
  const back = await aae.load(file, { networks: { encoder } });
  assert.equal(built, 2);
  const x = aae.images(mnist.test, 10);
  assert.deepEqual(back.encode(x), exp.encode(x));
  exp.dispose();
  back.dispose();
});

test('the backend comes on first use, the fastest one, reported once; the synchronous builders say to initialise it', () => {
  const dist = path.join(__dirname, '..', 'dist', 'index.js');
  const script = `
    const aae = require(${JSON.stringify(dist)});
    try { aae.train.createExperiment(aae.makeConfig({ model: 'supervised' })); } catch (e) { console.log('sync: ' + e.message); }
    (async () => {
      const m = aae.data.loadMnist();
      const d = { train: aae.data.subset(m.train, 0, 100), validation: aae.data.subset(m.validation, 0, 50), test: aae.data.subset(m.test, 0, 50) };
      for (let i = 0; i < 2; i++) {
        const exp = await aae.experiment({ model: 'supervised', prior: 'gaussian', nZ: 2, nHidden: 8, batchSize: 50, epochs: 1 }, { dataset: d });
        await exp.fit();
        exp.dispose();
      }
      console.log('backend: ' + aae.backend.activeBackend().name + ' of ' + aae.backend.availableBackends()[0]);
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^sync: createExperiment: no backend yet; call `await initBackend\(\)` first/m);
  const [, active, fastest] = r.stdout.match(/^backend: (\S+) of (\S+)$/m)!;
  assert.equal(active, fastest);
  assert.equal(r.stderr.match(/^aae-lab: backend /gm)?.length, 1, r.stderr);
});
