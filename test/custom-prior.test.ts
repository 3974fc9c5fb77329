/**
 * A prior defined here, not in lib/, used end to end: passed to an experiment, trained, its samples
 * fed to the discriminator, its figures drawn (target prior, manifold over its region), measured
 * (MMD, mode accuracy), and its checkpoint resumed when the same prior is passed again.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '../lib/backend';
import { ConfigError } from '../lib/errors';
import { loadMnist, subset, type Mnist } from '../lib/data/mnist';
import { makeConfig } from '../lib/models';
import { getPrior, type Prior } from '../lib/priors';
import { Rng } from '../lib/random';
import { createExperiment, resumeExperiment } from '../lib/train/setup';
import { CHECKPOINT_FILE, trainWithCheckpoints } from '../lib/train/checkpoint';
import { experimentFigures } from '../lib/figures/experiment';
import { manifoldGrid, priorPanel } from '../lib/figures/data';
import { renderPng } from '../lib/display/render';
import { modeAccuracy, priorMatch } from '../lib/eval/metrics';

let mnist: Mnist;
before(async () => {
  await initBackend();
  const m = loadMnist();
  mnist = { ...m, test: subset(m.test, 0, 300), validation: subset(m.validation, 0, 100) };
});

const SPREAD = 0.3;

/** `modes` round blobs (std SPREAD) on a circle of radius `radius`, in every pair of dimensions; it records its calls. */
function ring(name = 'ring', modes = 10, radius = 2): Prior & { calls: [number, number][] } {
  const cx = (k: number) => radius * Math.cos((2 * Math.PI * k) / modes);
  const cy = (k: number) => radius * Math.sin((2 * Math.PI * k) / modes);
  const calls: [number, number][] = [];
  return {
    name,
    title: `ring of ${modes}`,
    modes,
    region: [-(radius + 1), radius + 1],
    calls,
    check(nZ: number) {
      if (nZ % 2 !== 0) throw new ConfigError(`prior "${name}" needs an even n_z, got ${nZ}`);
    },
    sample(n: number, nZ: number, rng: Rng) {
      calls.push([n, nZ]);
      const z = new Float32Array(n * nZ);
      const labels = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const k = rng.int(modes);
        labels[i] = k;
        for (let p = 0; p < nZ; p += 2) {
          z[i * nZ + p] = cx(k) + SPREAD * rng.normal();
          z[i * nZ + p + 1] = cy(k) + SPREAD * rng.normal();
        }
      }
      return { z, labels };
    },
    logDensity(code: Float32Array, k: number) {
      let s = 0;
      for (let p = 0; p < code.length; p += 2) s -= ((code[p] - cx(k)) ** 2 + (code[p + 1] - cy(k)) ** 2) / (2 * SPREAD * SPREAD);
      return s;
    },
  };
}

const small = { model: 'supervised', nZ: 2, nHidden: 32, batchSize: 50, trainSize: 100, epochs: 1, seed: 5 } as const;

test('a custom prior: passed in the config, its samples reach the discriminator, figures over its region, metrics', async () => {
  const prior = ring();
  const cfg = makeConfig({ ...small, prior });
  assert.equal(cfg.prior, 'ring'); // the config holds its name
  assert.equal(getPrior('ring'), prior);
  const exp = createExperiment(cfg, mnist);
  assert.equal(exp.model.prior, prior);
  await exp.trainer.run({ evalSize: 100 });
  assert.deepEqual(prior.calls, [
    [50, 2],
    [50, 2],
  ]); // one batch of prior samples per step
  const losses = exp.trainer.history[0];

  // The same run with the blobs elsewhere: the reconstruction phase (before the discriminator) is
  // the same, the discriminator's loss is not: it was fed the prior's samples.
  const moved = ring('ring_moved', 10, 4);
  const cfg2 = makeConfig({ ...small, prior: moved, trainSize: 50 });
  const one = createExperiment({ ...cfg, trainSize: 50 }, mnist);
  const other = createExperiment(cfg2, mnist);
  await one.trainer.run({ evalSize: 100 });
  await other.trainer.run({ evalSize: 100 });
  assert.equal(other.trainer.history[0].train_reconstruction, one.trainer.history[0].train_reconstruction);
  assert.notEqual(other.trainer.history[0].train_discriminator, one.trainer.history[0].train_discriminator);
  one.model.dispose();
  other.model.dispose();

  // figures: the target prior's samples and the manifold over its region
  const figs = experimentFigures(exp, { only: ['prior_samples', 'manifold'], priorCount: 500 });
  assert.deepEqual(
    figs.figures.map((f) => f.name),
    ['prior_samples', 'manifold'],
  );
  assert.match(JSON.stringify(figs.figures[0].spec), /ring of 10/);
  assert.deepEqual(manifoldGrid(exp.model).range, [-3, 3]);
  for (const f of figs.figures) {
    const png = await renderPng(f.spec);
    assert.ok(png.png.length > 1000, `${f.name}: ${png.png.length} bytes`);
  }
  const panel = priorPanel(prior, 400, 2, new Rng(1));
  assert.equal(new Set(Array.from(panel.labels)).size, 10);

  // metrics: MMD against its samples, mode accuracy from its density
  const m = priorMatch(exp.model, mnist.test, undefined, 0, { maxSamples: 300 });
  assert.equal(m.prior, 'ring');
  assert.ok(Number.isFinite(m.mmd2) && m.mmd2 > -0.05, `mmd2 ${m.mmd2}`);
  assert.ok(m.modeAccuracy !== null && m.modeAccuracy >= 0 && m.modeAccuracy <= 1, `mode accuracy ${m.modeAccuracy}`);
  const fromPrior = prior.sample(1000, 2, new Rng(3));
  // neighbouring blobs are 1.24 apart, about 2 spreads each way: a few percent fall nearer a neighbour
  const acc = modeAccuracy(fromPrior.z, fromPrior.labels, 2, prior);
  assert.ok(acc > 0.9 && acc < 1, `mode accuracy of the prior's own samples ${acc}`);
  // without a density: MMD only
  const { logDensity: _ld, ...noDensity } = ring('ring_no_density');
  assert.equal(priorMatch(exp.model, mnist.test, noDensity, 0, { maxSamples: 300 }).modeAccuracy, null);
  assert.ok(losses.train_discriminator > 0);
  exp.model.dispose();
});

test('a custom prior: refused where it does not fit, with the reason', async () => {
  // modes must be the data set's classes for the supervised model
  assert.throws(() => createExperiment(makeConfig({ ...small, prior: ring('ring3', 3) }), mnist), /prior "ring3" has 3 modes, the data set has 10 classes.*valid: a prior with 10 modes/);
  // ... but any number of modes (or none) serves as the semi-supervised style prior
  const { modes: _m, ...plain } = ring('blob');
  assert.throws(() => makeConfig({ ...small, prior: plain }), /prior "blob" has no modes/);
  const semi = createExperiment(makeConfig({ ...small, model: 'semi_supervised', nLabeled: 100, prior: ring('ring3', 3) }), mnist);
  semi.model.dispose();
  // its own n_z check, and a sampler returning the wrong size
  assert.throws(() => makeConfig({ ...small, nZ: 3, prior: ring() }), /prior "ring" needs an even n_z, got 3/);
  const bad: Prior = { ...ring('bad'), sample: (n, nZ) => ({ z: new Float32Array(n * nZ - 1), labels: new Uint8Array(n) }) };
  const exp = createExperiment(makeConfig({ ...small, prior: bad }), mnist);
  await assert.rejects(() => exp.trainer.run(), /prior "bad": sample\(50, 2\) must return \{ z: a Float32Array of n \* nZ = 100 values/);
  exp.model.dispose();
  // a bad object and a built-in's name
  assert.throws(() => makeConfig({ ...small, prior: { ...ring(), name: 'a/b' } }), /name must be letters, digits/);
  assert.throws(() => makeConfig({ ...small, prior: { ...ring(), region: [1, -1] } }), /region must be \[lo, hi\]/);
  assert.throws(() => makeConfig({ ...small, prior: { ...ring(), name: 'gaussian' } }), /"gaussian" is a built-in prior's name/);
  assert.throws(() => makeConfig({ ...small, prior: { ...ring(), name: 'gaussian_mixture:4' } }), /name must be letters, digits, "_", "-" or "."/);
});

test('a custom prior: its checkpoint resumes when the same prior is passed again, a clear error when it is not', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aae-prior-'));
  const file = path.join(dir, CHECKPOINT_FILE);
  const cfg = makeConfig({ ...small, prior: ring('ring_ck'), epochs: 2 });
  // uninterrupted: two epochs
  const straight = createExperiment(cfg, mnist);
  await straight.trainer.run({ evalSize: 100 });
  // one epoch, a checkpoint, then resumed to two with the prior passed again
  const first = createExperiment(cfg, mnist);
  await trainWithCheckpoints(first, file, { epochs: 1, evalSize: 100 });
  first.model.dispose();
  const again = ring('ring_ck');
  const resumed = resumeExperiment(file, { prior: again }, mnist, 2);
  assert.equal(resumed.model.prior, again);
  await resumed.trainer.run({ evalSize: 100 });
  assert.deepEqual(
    resumed.trainer.history.map(({ seconds: _s, ...m }) => m),
    straight.trainer.history.map(({ seconds: _s, ...m }) => m),
  );
  assert.equal(again.calls.length, 2); // the second epoch's two steps
  resumed.model.dispose();
  straight.model.dispose();
  // another prior passed: the mismatch is named
  assert.throws(() => resumeExperiment(file, { prior: ring('ring_other') }, mnist), /was trained with prior = ring_ck, not ring_other/);

  // in a fresh process, where nothing registered "ring_ck": loading without it names the prior and how to pass it
  const script = path.join(dir, 'load.ts');
  const setup = path.resolve(__dirname, '../lib/train/setup');
  const backend = path.resolve(__dirname, '../lib/backend');
  fs.writeFileSync(
    script,
    `import { resumeExperiment } from ${JSON.stringify(setup)};\nimport { initBackend } from ${JSON.stringify(backend)};\n` +
      `(async () => { await initBackend(); try { resumeExperiment(${JSON.stringify(file)}); } catch (e) { console.log((e as Error).message); } })();\n`,
  );
  const out = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', cwd: path.resolve(__dirname, '..') });
  assert.match(out, /checkpoint .*checkpoint\.aae was trained with the prior "ring_ck", which is not known here: pass that prior again \(expect \{ prior \}/);
  fs.rmSync(dir, { recursive: true, force: true });
});
