/**
 * `npm run bench`: training speed on this machine, for every available backend side by side.
 *
 *   - ms per training step (on the fast backends the median of 101 steps after 150 warm-up steps, the
 *     steady state an epoch's 540 steps run in; 9 after 3 at the original's sizes) of the supervised and semi-supervised AAE at 1000 hidden units, n_z 2, batch 100, and at the original's sizes (3000 units, n_z 20,
 *     batch 128); a fixed 784-1000-1000-20-1000-1000-784 autoencoder Adam step at batch 100, with the
 *     built-in MLP (`ae`) and as tfjs-layers models trained by the same Adam (`ae-layers`); the supervised
 *     AAE with the shipped conv networks (`sup-conv`, --networks conv); the convolutional autoencoder
 *     of ./conv (tfjs-layers conv and conv2dTranspose layers, `conv`) at batch 100, and the same step in
 *     PyTorch (./torch_conv.py) right after it, when PyTorch is installed;
 *   - the speed-up over the stock wasm backend and the seconds per epoch (55,000 images);
 *   - each case's floor (its matrix-product FLOPs at the matmul gauge's rate plus its Adam bytes at
 *     the memory-copy gauge's rate, both gauged again right before and after the case, the faster
 *     reading counting) and the step's ratio to it;
 *   - memory over many steps (tensor count, wasm heap, RSS), which must stay flat;
 *   - the figure-rendering benchmark (./figures).
 *
 * Options: --quick (fewer repetitions, no stock-wasm run at the original's sizes, 200 memory
 * steps), --backends a,b (default: every available one), --cases a,b (default: all; ids below),
 * --memory-steps N (0 skips),
 * --no-figures, --no-torch (no PyTorch comparison), --json FILE (the results as JSON), --profile (a
 * per-kernel breakdown of a step of each chosen case on the first chosen backend, and of the native
 * convolutions' time into im2col, products and col2im, instead of the benchmark).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs';
import { availableBackends, BACKEND_NAMES, initBackend, loadNativeAddon, type BackendName } from '../lib/backend';
import { createModel, makeConfig, type AAEConfig } from '../lib/models';
import { loadMnist, PIXELS, type Mnist } from '../lib/data/mnist';
import { batchesPerEpoch, epochOrder, makeBatch } from '../lib/data/batches';
import { MLP } from '../lib/nn/layers';
import { LayersNetwork, type Network } from '../lib/nn/network';
import { missingConvKernels } from '../lib/nn/nets';
import { Adam } from '../lib/nn/adam';
import { meanSquaredError } from '../lib/nn/losses';
import { Rng } from '../lib/random';
import { benchFigures } from './figures';
import { ADAM_BYTES_PER_PARAMETER, floorMs, matmulFlops, memoryBandwidth } from './floor';
import { convStepper, torchConvStep, type TorchTiming } from './conv';

const EPOCH_IMAGES = 55000;

interface Stepper {
  step(i: number): void;
  /** Parameters the step's optimizer updates touch (a variable updated by two phases counts twice). */
  updatedParameters: number;
  dispose(): void;
}

interface Case {
  id: string;
  label: string;
  batchSize: number;
  /** Large cases get fewer repetitions, and none on stock wasm with --quick. */
  large: boolean;
  make(data: Mnist): Stepper;
}

/** One AAE training step per call (all phases), on batches taken in order from the training set. */
function aaeStepper(cfg: AAEConfig, data: Mnist): Stepper {
  const model = createModel(cfg);
  const rng = new Rng(1);
  const order = epochOrder(data.train.count, null);
  const labOrder = epochOrder(data.validation.count, null);
  const semi = cfg.model === 'semi_supervised';
  return {
    step: (i) => {
      const batch = makeBatch(data.train, order, i, cfg.batchSize, cfg.noiseStd, rng);
      const labeled = semi ? makeBatch(data.validation, labOrder, i, cfg.batchSize, 0, rng) : null;
      model.trainStep(batch, labeled, 1e-3, rng);
    },
    updatedParameters: Object.values(model.optimizers).reduce((n, o) => n + o.vars.reduce((m, v) => m + v.size, 0), 0),
    dispose: () => model.dispose(),
  };
}

/**
 * The fixed autoencoder: 784-1000-1000-20 relu encoder, 20-1000-1000-784 sigmoid decoder, MSE, one
 * Adam, no dropout; `make` builds the networks (weights from rng, which then draws the batches).
 */
function autoencoderStepper(data: Mnist, make: (rng: Rng) => [Network, Network]): Stepper {
  const rng = new Rng(2);
  const [enc, dec] = make(rng);
  const opt = new Adam([...enc.variables, ...dec.variables]);
  const B = 100;
  const order = epochOrder(data.train.count, null);
  return {
    step: (i) => {
      const batch = makeBatch(data.train, order, i, B, 0, rng);
      const x = tf.tensor2d(batch.x, [B, PIXELS]);
      opt.minimize(() => meanSquaredError(dec.apply(enc.apply(x, null, true), null, true), x), 1e-3);
      x.dispose();
    },
    updatedParameters: opt.vars.reduce((m, v) => m + v.size, 0),
    dispose: () => {
      enc.dispose();
      dec.dispose();
      opt.dispose();
    },
  };
}

/** The built-in MLPs of the fixed autoencoder. */
const mlpAutoencoder = (rng: Rng): [Network, Network] => [new MLP('ae_encoder', [PIXELS, 1000, 1000, 20], rng, 'linear'), new MLP('ae_decoder', [20, 1000, 1000, PIXELS], rng, 'sigmoid')];

/** The fixed autoencoder as tfjs-layers models (dense layers, Glorot init), through the models' adapter. */
function layersAutoencoder(): [Network, Network] {
  const dense = (units: number, activation: 'relu' | 'linear' | 'sigmoid', inputs?: number) => tfl.layers.dense({ units, activation, ...(inputs ? { inputShape: [inputs] } : {}) });
  return [
    new LayersNetwork('encoder', tfl.sequential({ layers: [dense(1000, 'relu', PIXELS), dense(1000, 'relu'), dense(20, 'linear')] })),
    new LayersNetwork('decoder', tfl.sequential({ layers: [dense(1000, 'relu', 20), dense(1000, 'relu'), dense(PIXELS, 'sigmoid')] })),
  ];
}

const CASES: Case[] = [
  {
    id: 'sup-1000',
    label: 'supervised AAE, 1000 units, n_z 2, batch 100',
    batchSize: 100,
    large: false,
    make: (d) => aaeStepper(makeConfig({ model: 'supervised', nHidden: 1000, nZ: 2, batchSize: 100 }), d),
  },
  {
    id: 'semi-1000',
    label: 'semi-supervised AAE, 1000 units, n_z 2, batch 100',
    batchSize: 100,
    large: false,
    make: (d) => aaeStepper(makeConfig({ model: 'semi_supervised', nHidden: 1000, nZ: 2, batchSize: 100 }), d),
  },
  { id: 'sup-orig', label: 'supervised AAE, original sizes: 3000 units, n_z 20, batch 128', batchSize: 128, large: true, make: (d) => aaeStepper(makeConfig({ model: 'supervised' }, 'original'), d) },
  {
    id: 'semi-orig',
    label: 'semi-supervised AAE, original sizes: 3000 units, n_z 20, batch 128',
    batchSize: 128,
    large: true,
    make: (d) => aaeStepper(makeConfig({ model: 'semi_supervised' }, 'original'), d),
  },
  { id: 'ae', label: 'fixed autoencoder 784-1000-1000-20-1000-1000-784, Adam, batch 100', batchSize: 100, large: false, make: (d) => autoencoderStepper(d, mlpAutoencoder) },
  {
    id: 'ae-layers',
    label: "fixed autoencoder as tfjs-layers models, the project's Adam, batch 100",
    batchSize: 100,
    large: false,
    make: (d) => autoencoderStepper(d, layersAutoencoder),
  },
  {
    id: 'sup-conv',
    label: 'supervised AAE, conv networks (conv 5x5/2 32, 64, dense; transposed convs), 1000-unit MLP discriminator, n_z 2, batch 100',
    batchSize: 100,
    large: true,
    make: (d) => aaeStepper(makeConfig({ model: 'supervised', networks: 'conv', nHidden: 1000, nZ: 2, batchSize: 100 }), d),
  },
  {
    id: 'conv',
    label: 'conv autoencoder (tfjs-layers): conv 5x5/2 32, conv 5x5/2 64, dense 2, mirrored with conv2dTranspose; MSE, Adam, batch 100',
    batchSize: 100,
    large: false,
    make: (d) => convStepper(d, 100),
  },
];

interface Options {
  quick: boolean;
  cases: Case[];
  backends: BackendName[];
  memorySteps: number;
  figures: boolean;
  json: string | null;
  /** --profile: print a per-kernel breakdown of these cases' steps instead of the benchmark. */
  profile: boolean;
  /** Time the conv case in PyTorch too (unless --no-torch). */
  torch: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, cases: CASES, backends: availableBackends(), memorySteps: 1000, figures: true, json: null, profile: false, torch: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--no-figures') o.figures = false;
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--memory-steps') o.memorySteps = Number(value());
    else if (a === '--json') o.json = value();
    else if (a === '--profile') o.profile = true;
    else if (a === '--cases') {
      const ids = value()
        .split(',')
        .map((x) => x.trim());
      const bad = ids.filter((id) => !CASES.some((c) => c.id === id));
      if (bad.length) throw new Error(`unknown case ${bad.join(', ')}; cases: ${CASES.map((c) => c.id).join(', ')}`);
      o.cases = CASES.filter((c) => ids.includes(c.id));
    } else if (a === '--backends') {
      const names = value()
        .split(',')
        .map((s) => s.trim());
      for (const n of names) {
        if (!(BACKEND_NAMES as readonly string[]).includes(n)) throw new Error(`unknown backend "${n}"; valid choices: ${BACKEND_NAMES.join(', ')}`);
        if (!availableBackends().includes(n as BackendName)) throw new Error(`backend "${n}" is not available here (available: ${availableBackends().join(', ')})`);
      }
      o.backends = names as BackendName[];
    } else throw new Error(`unknown option ${a}; options: --quick, --backends a,b, --cases a,b, --memory-steps N, --no-figures, --no-torch, --json FILE, --profile`);
  }
  if (o.quick && !argv.includes('--memory-steps')) o.memorySteps = 200;
  if (!Number.isInteger(o.memorySteps) || o.memorySteps < 0) throw new Error('--memory-steps must be a whole number');
  return o;
}

/** Warm-up and timed steps for a case on a backend, or a reason to skip it. */
function plan(backend: BackendName, c: Case, quick: boolean): { warm: number; reps: number } | string {
  if (c.id === 'sup-conv' && missingConvKernels().length) return `${backend}: sup-conv not timed, the backend lacks ${missingConvKernels().join(', ')} (conv networks cannot train on it)`;
  if (c.id === 'conv' && backend === 'wasm') return "stock wasm: the conv case cannot train (tfjs 4.22's wasm backend has no Conv2DBackpropFilter kernel; wasm-blas adds it)";
  if (backend === 'cpu') {
    if (c.id !== 'ae') return 'cpu: only the fixed autoencoder is timed (an AAE or conv step takes many seconds in plain JavaScript)';
    return quick ? 'cpu skipped with --quick' : { warm: 1, reps: 2 };
  }
  if (backend === 'wasm') {
    if (c.large) return quick ? 'stock wasm at the original sizes skipped with --quick' : { warm: 1, reps: 2 };
    return { warm: 1, reps: quick ? 2 : 3 };
  }
  // The fast backends: enough warm-up for the wasm heap to reach its size and V8 to optimise the
  // training loop (steps 10-40 of the supervised case run ~10% slower than steps 100-400, which an
  // epoch's 540 steps are made of, and steps 50-100 still 3-8% slower: medians of 50-step blocks
  // from step 50, 20.94 then 19.18-19.60 ms, and 20.08 then 18.91-19.36), and enough timed steps
  // that the median does not move with a few slow steps (single steps vary by about +-20% here).
  if (c.large) return { warm: 3, reps: quick ? 3 : 9 };
  return quick ? { warm: 20, reps: 15 } : { warm: 150, reps: 101 };
}

/** The q-quantile (0..1) of xs, by linear interpolation. */
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return lo + 1 < s.length ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

const median = (xs: number[]) => quantile(xs, 0.5);

interface Timing {
  backend: BackendName;
  caseId: string;
  /** Median wall-clock ms per step, and the single steps. */
  ms: number;
  steps: number[];
  /** Median process CPU ms (all threads) per step: shows how much other load on the machine stretched the wall time. */
  cpuMs: number;
}

function timeCase(backend: BackendName, c: Case, data: Mnist, warm: number, reps: number): Timing {
  const s = c.make(data);
  try {
    for (let i = 0; i < warm; i++) s.step(i);
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < reps; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      s.step(warm + i);
      wall.push(performance.now() - t0);
      const d = process.cpuUsage(c0);
      cpu.push((d.user + d.system) / 1000);
    }
    return { backend, caseId: c.id, ms: median(wall), steps: wall, cpuMs: median(cpu) };
  } finally {
    s.dispose();
  }
}

/** The conv case in PyTorch, at 1 and 2 threads (right after ours, so both see the same load on the machine); a reason in notes if it cannot run. */
function timeTorch(warm: number, reps: number, notes: string[]): TorchTiming[] {
  const out: TorchTiming[] = [];
  for (const threads of [1, 2]) {
    const t = torchConvStep({ threads, warmup: warm, steps: reps });
    if (typeof t === 'string') {
      notes.push(`conv in PyTorch not timed: ${t}`);
      return out;
    }
    console.log(
      `  the same conv step in PyTorch ${t.torch}, ${t.threads} thread${t.threads === 1 ? '' : 's'}: ${t.ms.toFixed(1)} ms/step, median of ${t.steps.length} after ${warm} warm-up (cpu ${t.cpuMs.toFixed(0)} ms; steps ${t.steps.map((x) => x.toFixed(0)).join(' ')})`,
    );
    out.push(t);
  }
  return out;
}

/**
 * GFLOP/s of one 512x784 by 784x1000 product (median of 25 after 4 warm-up; of 3 on a slow backend, stopping after a second), a gauge of the machine's
 * matmul speed right now. Each product is timed alone: the backends here run matMul synchronously,
 * and reading the result back (dataSync, ~7 ms for these 2 MB on wasm) is not part of a product, so
 * one value is read once at the end.
 */
function matmulGflops(): number {
  const a = tf.randomUniform([512, 784], -1, 1, 'float32', 1);
  const b = tf.randomUniform([784, 1000], -1, 1, 'float32', 2);
  const times: number[] = [];
  let last: tf.Tensor | null = null;
  for (let i = 0; i < 29 && !(times.length >= 3 && times.reduce((x, y) => x + y) > 1000); i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    if (i >= 4) times.push(performance.now() - t0);
    last?.dispose();
    last = c;
  }
  const one = last!.slice([0, 0], [1, 1]);
  one.dataSync();
  tf.dispose([a, b, last!, one]);
  return (2 * 512 * 784 * 1000) / (median(times) * 1e6);
}

/** A case's work per step: matrix-product FLOPs (from one profiled step) and bytes its Adam updates move. */
interface Work {
  flops: number;
  bytes: number;
}

async function measureWork(c: Case, data: Mnist): Promise<Work> {
  const s = c.make(data);
  try {
    s.step(0);
    const p = await tf.profile(() => s.step(1));
    return { flops: matmulFlops(p.kernels), bytes: s.updatedParameters * ADAM_BYTES_PER_PARAMETER };
  } finally {
    s.dispose();
  }
}

interface MemoryCheck {
  backend: BackendName;
  steps: number;
  samples: { step: number; numTensors: number; tensorMB: number; heapMB: number; rssMB: number }[];
  steady: boolean;
}

/** Runs the supervised AAE (1000 units) for n steps and samples memory; steady = no tensor growth, RSS and heap within 5% (+16 MB). */
function memoryCheck(backend: BackendName, data: Mnist, n: number): MemoryCheck {
  const s = CASES[0].make(data);
  const samples: MemoryCheck['samples'] = [];
  const wasmHeap = () => {
    const b = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
    return b.wasm ? b.wasm.HEAPU8.length / 2 ** 20 : 0;
  };
  const sample = (step: number) => {
    const m = tf.memory();
    samples.push({ step, numTensors: m.numTensors, tensorMB: m.numBytes / 2 ** 20, heapMB: wasmHeap(), rssMB: process.memoryUsage().rss / 2 ** 20 });
  };
  const warm = Math.min(50, Math.floor(n / 4));
  const every = Math.max(1, Math.floor((n - warm) / 4));
  try {
    for (let i = 0; i < n; i++) {
      s.step(i);
      if (i + 1 === warm || (i + 1 > warm && (i + 1 - warm) % every === 0) || i + 1 === n) sample(i + 1);
    }
  } finally {
    s.dispose();
  }
  const first = samples[0];
  const last = samples[samples.length - 1];
  const within = (a: number, b: number) => b <= a * 1.05 + 16;
  const steady = samples.every((x) => x.numTensors === first.numTensors) && within(first.rssMB, last.rssMB) && within(first.heapMB, last.heapMB);
  return { backend, steps: n, samples, steady };
}

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join(' | ')} |`;
  return [line(header), `| ${w.map((n, i) => (i === 0 ? '-'.repeat(n) : '-'.repeat(n - 1) + ':')).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/**
 * --profile: where a step's time goes on the first chosen backend. Each case runs 10 warm-up steps,
 * then 10 steps under tf.profile; prints ms and calls per step by kernel and input shapes (the
 * largest first), and the time outside kernels (JavaScript, the tape, Adam's native update).
 */
async function profileCases(o: Options, data: Mnist): Promise<void> {
  const backend = o.backends[0];
  const info = await initBackend({ backend });
  const addon = info.name === 'wasm-blas' ? loadNativeAddon().addon : null;
  console.log(`profile on ${info.description}`);
  for (const c of o.cases) {
    const s = c.make(data);
    try {
      const warm = c.large ? 3 : 10;
      const steps = c.large ? 3 : 10;
      for (let i = 0; i < warm; i++) s.step(i);
      const byKernel = new Map<string, { ms: number; calls: number }>();
      let wall = 0;
      addon?.convTimes(true);
      // Adam's updates (native on wasm-blas) run outside tfjs's kernels: timed by wrapping Adam.apply.
      const adam = { ms: 0, calls: 0 };
      const apply = Adam.prototype.apply;
      Adam.prototype.apply = function (this: Adam, grads: tf.NamedTensorMap, lr: number) {
        const t = performance.now();
        apply.call(this, grads, lr);
        adam.ms += performance.now() - t;
        adam.calls += 1;
      };
      for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        const p = await tf.profile(() => s.step(warm + i));
        wall += performance.now() - t0;
        for (const k of p.kernels) {
          const key = `${k.name} ${k.inputShapes.map((x) => `[${x?.join('x') ?? ''}]`).join(' ')}`;
          const e = byKernel.get(key) ?? { ms: 0, calls: 0 };
          e.ms += Number(k.kernelTimeMs) || 0;
          e.calls += 1;
          byKernel.set(key, e);
        }
      }
      Adam.prototype.apply = apply;
      const rows = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const kernelMs = rows.reduce((t, [, e]) => t + e.ms, 0) / steps;
      const calls = rows.reduce((t, [, e]) => t + e.calls, 0) / steps;
      console.log(
        `\n${c.label}: ${(wall / steps).toFixed(1)} ms/step under the profiler, ${kernelMs.toFixed(1)} ms in ${calls.toFixed(0)} kernel calls, ${(wall / steps - kernelMs).toFixed(1)} ms outside kernels`,
      );
      console.log(
        table(
          ['kernel [input shapes]', 'ms/step', 'calls/step', 'share'],
          rows.slice(0, 25).map(([k, e]) => [k, (e.ms / steps).toFixed(2), (e.calls / steps).toFixed(0), `${((100 * e.ms) / steps / (wall / steps)).toFixed(1)}%`]),
        ),
      );
      if (rows.length > 25) console.log(`(${rows.length - 25} smaller kernel kinds left out)`);
      if (adam.calls > 0) {
        const outside = wall / steps - kernelMs;
        console.log(
          `outside kernels: Adam's updates ${(adam.ms / steps).toFixed(2)} ms (${(adam.calls / steps).toFixed(0)} optimizers); the rest (JavaScript, the tape, tensor bookkeeping) ${(outside - adam.ms / steps).toFixed(2)} ms`,
        );
      }
      const conv = addon?.convTimes(true);
      if (conv && conv.im2col + conv.gemm + conv.col2im > 0) {
        const ms = (sec: number) => ((1000 * sec) / steps).toFixed(1);
        console.log(
          `native convolutions (products: ${addon!.convConfig().gemm}), CPU time per step (all threads): im2col ${ms(conv.im2col)} ms, products ${ms(conv.gemm)} ms, col2im ${ms(conv.col2im)} ms`,
        );
      }
    } finally {
      s.dispose();
    }
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.profile) {
    await profileCases(o, loadMnist());
    return;
  }
  const t0 = performance.now();
  const addon = loadNativeAddon().addon;
  console.log(
    `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `OpenBLAS: ${addon ? `${addon.config()}, ${addon.getThreads()} threads; convolution products: ${addon.convConfig().gemm}, workers: ${addon.convConfig().workers}` : 'not built'}; backends: ${o.backends.join(', ')}${o.quick ? ' (--quick)' : ''}`,
  );
  const data = loadMnist();
  const timings: Timing[] = [];
  const torch: TorchTiming[] = [];
  const gflops: Record<string, number> = {};
  const notes: string[] = [];
  const bandwidth = memoryBandwidth();
  console.log(`memory: copy at ${bandwidth.toFixed(1)} GB/s`);
  const work = new Map<string, Work>();
  const gauges = new Map<string, { gflops: number; bandwidth: number }>();
  for (const backend of o.backends) {
    const info = await initBackend({ backend });
    gflops[backend] = matmulGflops();
    console.log(`\n${info.description}: matmul 512x784x1000 at ${gflops[backend].toFixed(1)} GFLOP/s`);
    // FLOPs and bytes do not depend on the backend: counted once, on the first fast one.
    // sup-conv and conv have no floor: their convolutions' FLOPs are not matrix products (matmulFlops counts 0 for them), and it cannot step where conv gradients are missing.
    if (backend !== 'cpu' && backend !== 'wasm') for (const c of o.cases) if (!work.has(c.id) && c.id !== 'sup-conv' && c.id !== 'conv') work.set(c.id, await measureWork(c, data));
    for (const c of o.cases) {
      const p = plan(backend, c, o.quick);
      if (typeof p === 'string') {
        if (!notes.includes(p)) notes.push(p);
        continue;
      }
      // The gauges again right before and right after a case with a floor: the machine's speed drifts
      // over a run (other tenants of the host), and the ratio should compare the step with the machine
      // as it is then. The faster of the two readings counts (the lower, stricter floor).
      const gauge = () => ({ gflops: matmulGflops(), bandwidth: memoryBandwidth() });
      const before = work.has(c.id) && backend !== 'cpu' && backend !== 'wasm' ? gauge() : null;
      const t = timeCase(backend, c, data, p.warm, p.reps);
      timings.push(t);
      if (before) {
        const after = gauge();
        gauges.set(`${backend} ${c.id}`, { gflops: Math.max(before.gflops, after.gflops), bandwidth: Math.max(before.bandwidth, after.bandwidth) });
        console.log(
          `  (gauges before and after ${c.id}: matmul ${before.gflops.toFixed(1)} and ${after.gflops.toFixed(1)} GFLOP/s, memory copy ${before.bandwidth.toFixed(1)} and ${after.bandwidth.toFixed(1)} GB/s)`,
        );
      }
      const spreadNote = t.steps.length >= 5 ? `, middle half ${quantile(t.steps, 0.25).toFixed(1)}-${quantile(t.steps, 0.75).toFixed(1)} ms` : '';
      console.log(
        `  ${c.label}: ${t.ms.toFixed(1)} ms/step, median of ${t.steps.length} after ${p.warm} warm-up (cpu ${t.cpuMs.toFixed(0)} ms${spreadNote}; steps ${t.steps.map((x) => x.toFixed(0)).join(' ')})`,
      );
      if (c.id === 'conv' && o.torch && torch.length === 0) torch.push(...timeTorch(p.warm, p.reps, notes));
    }
  }

  const rows: string[][] = [];
  const floors: Record<string, { backend: string; gflopPerStep: number; adamMB: number; gaugeGflops: number; gaugeGBs: number; floorMs: number; ratio: number }[]> = {};
  for (const c of o.cases) {
    const stock = timings.find((t) => t.caseId === c.id && t.backend === 'wasm');
    const w = work.get(c.id);
    for (const t of timings.filter((x) => x.caseId === c.id)) {
      const epoch = (t.ms * batchesPerEpoch(EPOCH_IMAGES, c.batchSize)) / 1000;
      // The floor at this backend's own GEMM rate (stock wasm and cpu have their own, lower ones),
      // gauged around the case where it was (the fast backends), else at the run's start.
      const g = gauges.get(`${t.backend} ${c.id}`) ?? { gflops: gflops[t.backend], bandwidth };
      const floor = w ? floorMs(w.flops, g.gflops, w.bytes, g.bandwidth) : NaN;
      if (w)
        (floors[c.id] ??= []).push({
          backend: t.backend,
          gflopPerStep: w.flops / 1e9,
          adamMB: w.bytes / 1e6,
          gaugeGflops: g.gflops,
          gaugeGBs: g.bandwidth,
          floorMs: floor,
          ratio: t.ms / floor,
        });
      rows.push([
        `${c.id} ${t.backend}`,
        t.ms.toFixed(1),
        t.cpuMs.toFixed(0),
        stock ? `${(stock.ms / t.ms).toFixed(1)}x` : '-',
        epoch >= 600 ? `${epoch.toFixed(0)} (${(epoch / 60).toFixed(0)} min)` : epoch.toFixed(1),
        w ? (w.flops / 1e9).toFixed(2) : '-',
        w ? (w.bytes / 1e6).toFixed(0) : '-',
        w ? `${g.gflops.toFixed(0)}, ${g.bandwidth.toFixed(1)}` : '-',
        w ? floor.toFixed(1) : '-',
        w ? `${(t.ms / floor).toFixed(2)}x` : '-',
      ]);
    }
  }
  for (const t of torch)
    rows.push([
      `conv pytorch ${t.torch}, ${t.threads} thread${t.threads === 1 ? '' : 's'}`,
      t.ms.toFixed(1),
      t.cpuMs.toFixed(0),
      '-',
      ((t.ms * batchesPerEpoch(EPOCH_IMAGES, 100)) / 1000).toFixed(1),
      '-',
      '-',
      '-',
      '-',
      '-',
    ]);
  console.log('\nCases: ' + o.cases.map((c) => `${c.id} = ${c.label}`).join('; '));
  console.log(
    `Floor: the step's matrix-product FLOPs (counted in one profiled step) at the backend's matmul rate, plus the bytes its Adam updates move (${ADAM_BYTES_PER_PARAMETER} per parameter) at the memory copy rate, both gauged right before and after the case, the faster reading counting (the gauges column: GFLOP/s, GB/s).`,
  );
  console.log(table(['case, backend', 'ms/step (median)', 'cpu ms/step', 'vs stock wasm', 's/epoch (55,000 images)', 'GFLOP/step', 'Adam MB/step', 'gauges', 'floor ms', 'step/floor'], rows));
  for (const n of notes) console.log(`note: ${n}`);
  const ours = timings.find((t) => t.caseId === 'conv' && t.backend === 'wasm-blas');
  if (ours && torch.length) {
    const best = torch.reduce((a, b) => (b.ms < a.ms ? b : a));
    console.log(
      `conv: wasm-blas ${ours.ms.toFixed(1)} ms/step, PyTorch ${best.ms.toFixed(1)} ms/step (${best.threads} thread${best.threads === 1 ? '' : 's'}, its faster setting): ${(ours.ms / best.ms).toFixed(2)}x PyTorch's time`,
    );
  }

  let memory: MemoryCheck | null = null;
  if (o.memorySteps > 0) {
    const backend = o.backends[0];
    await initBackend({ backend });
    console.log(`\nmemory over ${o.memorySteps} steps of ${CASES[0].label} on ${backend}:`);
    memory = memoryCheck(backend, data, o.memorySteps);
    console.log(
      table(
        ['after step', 'tensors', 'tensor MB', 'wasm heap MB', 'RSS MB'],
        memory.samples.map((x) => [String(x.step), String(x.numTensors), x.tensorMB.toFixed(1), x.heapMB.toFixed(0), x.rssMB.toFixed(0)]),
      ),
    );
    console.log(`memory steady: ${memory.steady ? 'yes' : 'NO'}`);
  }

  console.log(
    `\nload average at the end ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}; bench took ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  if (o.json) {
    fs.writeFileSync(o.json, JSON.stringify({ date: new Date().toISOString(), loadavg: os.loadavg(), gflops, bandwidth, floors, timings, torch, memory, notes }, null, 2));
    console.log(`results written to ${o.json}`);
  }
  if (o.figures) {
    console.log('');
    await benchFigures();
  }
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
