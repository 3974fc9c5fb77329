// Robustness of the library API: wrong arguments, damaged or mismatched checkpoints, crashes mid-write,
// training that diverges. (The CLI's side is in cli.test.ts.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../lib/backend';
import { makeConfig, createModel, type AAEConfig } from '../lib/models';
import { loadMnist, subset, PIXELS, type Mnist } from '../lib/data/mnist';
import { createExperiment, resumeExperiment } from '../lib/train/setup';
import { saveCheckpoint, loadCheckpoint, readCheckpoint, removeStaleTemporaries, writeFileAtomic, CheckpointError } from '../lib/train/checkpoint';
import { DivergenceError, type TrainOptions } from '../lib/train/trainer';
import { trainWithCheckpoints } from '../lib/train/checkpoint';

let mnist: Mnist;
before(async () => {
  await initBackend();
  const m = loadMnist();
  mnist = { ...m, test: subset(m.test, 0, 300) };
});

const tiny = (over: Partial<AAEConfig> = {}) => makeConfig({ model: 'supervised', prior: 'gaussian_mixture', nZ: 2, nHidden: 32, batchSize: 50, trainSize: 500, epochs: 2, seed: 5, ...over });

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'aae-robust-'));

/** Asserts that f throws an error whose message matches every pattern. */
function throwsWith(f: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(f, (e: Error) => {
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('makeConfig and createExperiment name the argument, the bad value and the valid choices', () => {
  throwsWith(() => makeConfig({ model: 'vae' as never }), /model "vae"/, /supervised, semi_supervised/);
  throwsWith(() => makeConfig({ prior: 'laplace' as never }), /prior "laplace"/, /gaussian, gaussian_mixture, swiss_roll/);
  throwsWith(() => makeConfig({ nZ: 0 }), /nZ/, /from 1 to 1000/, /got 0/);
  throwsWith(() => makeConfig({ nZ: 2.5 }), /nZ/, /got 2.5/);
  throwsWith(() => makeConfig({ model: 'supervised', prior: 'gaussian', nZ: 3 }), /even n_z/, /got 3/, /2, 4, 6/);
  throwsWith(() => makeConfig({ prior: 'swiss_roll', nZ: 5 }), /swiss_roll/, /got 5/);
  throwsWith(() => makeConfig({ epochs: -1 }), /epochs/, /got -1/);
  throwsWith(() => makeConfig({ batchSize: 0 }), /batchSize/, /got 0/);
  throwsWith(() => makeConfig({ nz: 2 } as never), /unknown config field "nz"/, /nZ/);
  throwsWith(() => makeConfig({}, 'quick' as never), /preset "quick"/, /original, fast, paper/);
  throwsWith(() => makeConfig({ nLabeled: 6000 }), /nLabeled/, /got 6000/, /5000/);
  throwsWith(() => makeConfig({ trainSize: 50, batchSize: 100 }), /trainSize 50/, /batch size 100/);
  // A config object made by hand is checked too.
  throwsWith(() => createExperiment({ ...tiny(), prior: 'uniform' } as never, mnist), /prior "uniform"/, /valid choices/);
  throwsWith(() => createModel({ ...tiny(), nHidden: 0 }), /nHidden/, /got 0/);
});

test('model encode / decode / reconstruct / evaluate reject inputs of the wrong size or type', () => {
  const sup = createModel(tiny());
  const semi = createModel(tiny({ model: 'semi_supervised', prior: 'gaussian', nZ: 4, nLabeled: 100 }));
  try {
    throwsWith(() => sup.encode(new Float32Array(100)), /encode/, /100 values/, /784-pixel/);
    throwsWith(() => sup.encode(new Float32Array(0)), /encode/, /0 values/);
    throwsWith(() => sup.encode([1, 2, 3] as never), /encode/, /Float32Array/, /Array of 3/);
    throwsWith(() => sup.reconstruct(new Float32Array(PIXELS + 1)), /reconstruct/, /785 values/);
    throwsWith(() => sup.decode(new Float32Array(3)), /decode/, /3 values/, /2-dim codes/);
    throwsWith(() => sup.decode([0, 0] as never), /decode/, /codes must be a Float32Array/);
    throwsWith(() => semi.decode(new Float32Array(8), [1]), /decode/, /one label per code \(2\)/, /1 labels/);
    throwsWith(() => semi.decode(new Float32Array(8), [1, 10]), /labels\[1\] is 10/, /0 to 9/);
    throwsWith(() => semi.decode(new Float32Array(8), [1, 0.5]), /labels\[1\] is 0.5/);
    if (semi.kind === 'semi_supervised') throwsWith(() => semi.classify(new Float32Array(10)), /classProbabilities/, /10 values/);
    const images = mnist.test.images.subarray(0, 3 * PIXELS);
    throwsWith(() => sup.evaluate({ images, labels: new Uint8Array(2), count: 3 }), /evaluate/, /labels \(2\)/);
    // Correct calls still work.
    assert.equal(sup.encode(images).length, 6);
    assert.equal(semi.decode(new Float32Array(8), [1, 9]).length, 2 * PIXELS);
  } finally {
    sup.dispose();
    semi.dispose();
  }
});

test('Trainer.run, loadCheckpoint and resumeExperiment validate their options', async () => {
  const exp = createExperiment(tiny(), mnist);
  const bad: [TrainOptions, RegExp[]][] = [
    [{ epochs: 0 }, [/epochs must be a positive integer/, /got 0/]],
    [{ evalSize: 1.5 }, [/evalSize/, /got 1.5/]],
    [{ yieldEvery: -2 }, [/yieldEvery/, /got -2/]],
    [{ signal: {} as AbortSignal }, [/signal must be an AbortSignal/]],
    [{ callbacks: [{ onEpochEnd: 3 as never }] }, [/onEpochEnd must be a function/, /number/]],
    [{ epoch: 2 } as never, [/unknown option "epoch"/, /epochs, callbacks, signal, evalSize, yieldEvery/]],
  ];
  for (const [opts, patterns] of bad) {
    await assert.rejects(exp.trainer.run(opts), (e: Error) => {
      for (const p of patterns) assert.match(e.message, p);
      return true;
    });
  }
  assert.equal(exp.trainer.state.epoch, 0, 'a rejected call trains nothing');
  assert.equal(exp.trainer.state.batch, 0);
  const dir = tmpDir();
  const file = path.join(dir, 'checkpoint.aae');
  saveCheckpoint(file, exp.model, exp.trainer.snapshot());
  exp.model.dispose();
  throwsWith(() => loadCheckpoint(undefined as never), /loadCheckpoint: file must be a path/, /undefined/);
  throwsWith(() => loadCheckpoint(file, { n_z: 2 } as never), /unknown expect field "n_z"/, /model, prior, nZ, nHidden/);
  throwsWith(() => loadCheckpoint(path.join(dir, 'missing.aae')), /cannot read checkpoint .*missing\.aae/);
  throwsWith(() => resumeExperiment(file, {}, mnist, 0), /epochs must be a positive integer/, /got 0/);
  fs.rmSync(dir, { recursive: true });
});

test('damaged or mismatched checkpoints are clear errors, never a partial load; leftover temporaries are ignored and cleaned', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'checkpoint.aae');
  const exp = createExperiment(tiny({ epochs: 1 }), mnist);
  await exp.trainer.run({ evalSize: 100 });
  saveCheckpoint(file, exp.model, exp.trainer.snapshot());
  const good = fs.readFileSync(file);
  const tensorsBefore = tf.memory().numTensors;
  const attempt = (bytes: Buffer, ...patterns: RegExp[]) => {
    fs.writeFileSync(file, bytes);
    assert.throws(
      () => loadCheckpoint(file),
      (e: Error) => {
        assert.ok(e instanceof CheckpointError, `${e.name}: ${e.message}`);
        for (const p of patterns) assert.match(e.message, p);
        return true;
      },
    );
    assert.equal(tf.memory().numTensors, tensorsBefore, 'a failed load leaves no tensors behind');
  };
  // truncated anywhere: inside the data, inside the header, inside the preamble
  for (const keep of [good.length - 4, good.length - 1001, 200, 20, 10]) attempt(good.subarray(0, keep), /truncated or damaged|CRC-32|not an aae-lab checkpoint/);
  attempt(good.subarray(0, good.length - 4), /truncated or damaged|CRC-32 mismatch/);
  // one flipped byte: in the weights, in the header JSON
  for (const at of [good.length - 13, 40]) {
    const flipped = Buffer.from(good);
    flipped[at] ^= 0x20;
    attempt(flipped, /damaged \(CRC-32 mismatch\)/, /not loaded/);
  }
  attempt(Buffer.from('not a checkpoint at all'), /not an aae-lab checkpoint/);
  // mismatched: the right file for another model / n_z / width
  fs.writeFileSync(file, good);
  throwsWith(() => loadCheckpoint(file, { model: 'semi_supervised' }), /model = supervised, not semi_supervised/);
  throwsWith(() => loadCheckpoint(file, { nZ: 4 }), /nZ = 2, not 4/);
  throwsWith(() => loadCheckpoint(file, { prior: 'swiss_roll' }), /prior = gaussian_mixture, not swiss_roll/);
  throwsWith(() => resumeExperiment(file, { nHidden: 64 }, mnist), /nHidden = 32, not 64/);
  assert.equal(tf.memory().numTensors, tensorsBefore);

  // A crash mid-write leaves only a temporary file: the checkpoint itself still loads as it was,
  // and the next write removes temporaries of dead writers (not those of running ones).
  const deadPid = 2 ** 22 + 17; // above Linux's pid_max limit: never a running process
  const stale = path.join(dir, `.checkpoint.aae.${deadPid}.1700000000000.tmp`);
  const live = path.join(dir, `.checkpoint.aae.${process.pid}.1700000000001.tmp`);
  fs.writeFileSync(stale, good.subarray(0, 1234));
  fs.writeFileSync(live, good.subarray(0, 99));
  const loaded = loadCheckpoint(file);
  assert.deepEqual(loaded.model.namedWeights()[0][1].dataSync(), exp.model.namedWeights()[0][1].dataSync());
  loaded.model.dispose();
  saveCheckpoint(file, exp.model, exp.trainer.snapshot());
  assert.ok(!fs.existsSync(stale), "a dead writer's temporary file is removed");
  assert.ok(fs.existsSync(live), "a running writer's temporary file is left alone");
  fs.unlinkSync(live);
  assert.deepEqual(removeStaleTemporaries(file), []);
  assert.deepEqual(fs.readdirSync(dir), ['checkpoint.aae']);
  // A write that fails leaves the old file and no temporary.
  assert.throws(() => writeFileAtomic(path.join(dir, 'checkpoint.aae', 'x'), 'data'));
  assert.deepEqual(fs.readdirSync(dir), ['checkpoint.aae']);
  assert.equal(readCheckpoint(file).header.config.nHidden, 32);
  exp.model.dispose();
  fs.rmSync(dir, { recursive: true });
});

test('training that diverges stops naming the phase and epoch; the last good checkpoint stays and loads', async () => {
  const dir = tmpDir();
  const file = path.join(dir, 'checkpoint.aae');
  // A sane first epoch, then a learning rate that blows the weights up in the second.
  const cfg = tiny({
    epochs: 3,
    lrSchedule: [
      { from: 0, lr: 1e-3 },
      { from: 1, lr: 1e30 },
    ],
  });
  const exp = createExperiment(cfg, mnist);
  let afterEpoch1: Float32Array[] = [];
  const saves: number[] = [];
  const err = await trainWithCheckpoints(exp, file, {
    epochs: 3,
    evalSize: 100,
    callbacks: [{ onEpochEnd: (m) => void (m.epoch === 0 && (afterEpoch1 = exp.model.namedWeights().map(([, v]) => v.dataSync().slice() as Float32Array))) }],
    afterSave: () => void saves.push(exp.trainer.state.epoch),
  }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof DivergenceError, `expected a DivergenceError, got ${String(err)}`);
  assert.equal(err.epoch, 1);
  assert.match(err.message, /training diverged: the \w+ loss is (NaN|-?Infinity) in epoch 2, batch \d+/);
  assert.ok(['reconstruction', 'discriminator', 'generator'].includes(err.phase) || err.phase.startsWith('test evaluation'), err.phase);
  assert.deepEqual(saves, [1], 'one checkpoint, after epoch 1');
  const ck = loadCheckpoint(file);
  assert.equal(ck.trainer!.epoch, 1);
  assert.equal(ck.trainer!.batch, 0);
  assert.equal(ck.trainer!.history.length, 1);
  const w = ck.model.namedWeights();
  for (let i = 0; i < w.length; i++) assert.deepEqual(w[i][1].dataSync(), afterEpoch1[i], `${w[i][0]} is the epoch-1 weight`);
  ck.model.dispose();
  // The model in memory is ruined; saving it is refused, and the good checkpoint stays.
  const bytes = fs.readFileSync(file);
  assert.throws(
    () => saveCheckpoint(file, exp.model, exp.trainer.snapshot()),
    (e: Error) => e instanceof CheckpointError && /holds (NaN|-?Infinity)/.test(e.message),
  );
  assert.deepEqual(fs.readFileSync(file), bytes);
  exp.model.dispose();
  fs.rmSync(dir, { recursive: true });
});
