/**
 * Backend choice. In order of preference, the first one that loads:
 *   tensorflow-gpu  @tensorflow/tfjs-node-gpu (libtensorflow with CUDA), when the user installed it;
 *   tensorflow      @tensorflow/tfjs-node (libtensorflow on the CPU), when the user installed it;
 *   wasm-blas       the tfjs wasm backend with the project's native OpenBLAS kernels (native/);
 *   wasm            the stock tfjs wasm backend (SIMD, one thread);
 *   cpu             the tfjs pure-JavaScript backend.
 * `initBackend({backend})` (the CLI's --backend) or the environment variable AAE_BACKEND picks one
 * by name instead; a name that is unknown or not available here is an error naming the choices.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadNativeAddon, type NativeAddon } from './addon';
import { DENSE, MSE, SIGMOID_XENT, type DenseAttrs } from './gradients';
import { installNativeKernels, nativeAdamUpdate, uninstallNativeKernels } from './kernels';
import { ConfigError } from '../errors';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm-blas' | 'wasm' | 'cpu';

/** The valid backend names, fastest first (the automatic choice takes the first available). */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm-blas', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** The tfjs backend underneath ('tensorflow', 'wasm' or 'cpu'). */
  tfBackend: string;
  /** True when native code runs the heavy kernels (libtensorflow or the OpenBLAS addon). */
  native: boolean;
  /** One line for people: what runs the computation. */
  description: string;
  /** How to get a faster backend, when a faster one is missing only for want of an install. */
  hint?: string;
  /** wasm-blas: what computes its matrix products (AAE_GEMM). */
  products?: 'avx512' | 'openblas';
}

export interface NativeAdam {
  update(variable: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, lrT: number, beta1: number, beta2: number, epsilon: number): void;
}

export const FAST_PATH_HINT =
  'for the fast native path install OpenBLAS (Debian/Ubuntu: `sudo apt-get install libopenblas-dev`; ' +
  'macOS: `brew install openblas`), then run `npm install` again (or scripts/setup.sh) to build the aae-lab-native addon';

/** Loads a package by name only if it is installed (these are optional and never bundled). */
function tryRequire(id: string): string | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(id);
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${id}'`)) return `${id} is not installed (npm install ${id})`;
    return `${id} failed to load: ${err.message.split('\n')[0]}`;
  }
}

/** Why each backend is unavailable (absent key: available). Computed once. */
let availability: Map<BackendName, string | null> | null = null;

function probe(): Map<BackendName, string | null> {
  if (availability) return availability;
  const native = loadNativeAddon();
  availability = new Map<BackendName, string | null>([
    ['tensorflow-gpu', tryRequire('@tensorflow/tfjs-node-gpu')],
    // Both tfjs-node packages register the same 'tensorflow' backend: the GPU one also serves here.
    ['tensorflow', null],
    ['wasm-blas', native.addon ? null : `the aae-lab-native addon is not built (${native.error})`],
    ['wasm', null],
    ['cpu', null],
  ]);
  if (availability.get('tensorflow-gpu')) availability.set('tensorflow', tryRequire('@tensorflow/tfjs-node'));
  return availability;
}

/** Backends that can run on this machine, fastest first. */
export function availableBackends(): BackendName[] {
  const a = probe();
  return BACKEND_NAMES.filter((n) => !a.get(n));
}

let wasmReady = false;

async function useWasm(): Promise<void> {
  if (!wasmReady) {
    setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    wasmReady = true;
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialise');
}

let info: BackendInfo | null = null;
let addon: NativeAddon | null = null;

/**
 * Chooses and initialises the backend: opts.backend, else AAE_BACKEND, else the fastest available.
 * Calling it again with another name switches backend (the native kernels are installed or removed).
 */
export async function initBackend(opts: { backend?: string } = {}): Promise<BackendInfo> {
  const fromEnv = !opts.backend && !!process.env.AAE_BACKEND;
  const want = (opts.backend || process.env.AAE_BACKEND || '').trim();
  const named = `backend "${want}"${fromEnv ? ' (from AAE_BACKEND)' : ''}`;
  if (want && !(BACKEND_NAMES as readonly string[]).includes(want)) {
    throw new Error(`unknown ${named}; valid choices: ${BACKEND_NAMES.join(', ')}`);
  }
  const available = availableBackends();
  if (want && !available.includes(want as BackendName)) {
    throw new Error(`${named} is not available here: ${probe().get(want as BackendName)}. ` + `Available: ${available.join(', ')}; valid choices: ${BACKEND_NAMES.join(', ')}`);
  }
  const name = (want || available[0]) as BackendName;
  if (info && info.name === name && tf.getBackend() === info.tfBackend) return info;
  info = await activate(name);
  return info;
}

async function activate(name: BackendName): Promise<BackendInfo> {
  const fastMissing = probe().get('wasm-blas') ? FAST_PATH_HINT : undefined;
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      if (!(await tf.setBackend('tensorflow'))) throw new Error('the tfjs-node "tensorflow" backend failed to initialise');
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      return { name, tfBackend: 'tensorflow', native: true, description: `${name} (${pkg}: libtensorflow${name === 'tensorflow-gpu' ? ' with CUDA' : ' on the CPU'})` };
    }
    case 'wasm-blas': {
      await useWasm();
      addon = loadNativeAddon().addon!;
      chooseGemm(addon);
      installNativeKernels(addon);
      const threads = addon.getThreads();
      const products = addon.denseConfig().gemm;
      return {
        name,
        tfBackend: 'wasm',
        native: true,
        description: `wasm-blas (tfjs wasm + native kernels: ${products === 'avx512' ? 'AVX-512' : 'OpenBLAS'} matmul, Adam; ${threads} thread${threads === 1 ? '' : 's'})`,
        products,
      };
    }
    case 'wasm':
      await useWasm();
      uninstallNativeKernels();
      addon = null;
      return { name, tfBackend: 'wasm', native: false, description: 'wasm (tfjs WebAssembly, SIMD, one thread)', hint: fastMissing };
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend failed to initialise');
      return { name, tfBackend: 'cpu', native: false, description: 'cpu (tfjs pure JavaScript; slow)', hint: fastMissing };
  }
}

/** The products' engines the environment variable AAE_GEMM may name (both the dense and the convolution products). */
export const GEMM_NAMES = ['avx512', 'openblas'] as const;

/**
 * AAE_GEMM=avx512|openblas chooses the native matrix products: the addon's own AVX-512 sgemm (the
 * default where the CPU has AVX-512) or OpenBLAS's (the products of aae-lab before 2026-12-03; a run
 * made then repeats exactly only with it). Unset: the addon's default.
 */
function chooseGemm(a: NativeAddon): void {
  const want = (process.env.AAE_GEMM ?? '').trim();
  if (!want) return;
  if (!(GEMM_NAMES as readonly string[]).includes(want)) {
    throw new ConfigError(`unknown AAE_GEMM "${want}"; valid choices: ${GEMM_NAMES.join(', ')}`);
  }
  try {
    a.denseConfig({ gemm: want as (typeof GEMM_NAMES)[number] });
    a.convConfig({ gemm: want as (typeof GEMM_NAMES)[number] });
  } catch (e) {
    throw new ConfigError(`AAE_GEMM=${want}: ${(e as Error).message.replace(/^aae-lab-native: /, '')}`);
  }
}

/**
 * What result files and checkpoints record as a run's backend: its name, with `+avx512` when the
 * wasm-blas products run on the addon's AVX-512 sgemm (its results agree with OpenBLAS's to float
 * rounding, not bit for bit); null before initBackend.
 */
export function backendLabel(i: BackendInfo | null = info): string | null {
  if (!i) return null;
  return i.products === 'avx512' ? `${i.name}+avx512` : i.name;
}

/** The backend initBackend made active, or null before its first call. */
export function activeBackend(): BackendInfo | null {
  return info;
}

let reported = false;

/**
 * The active backend; on first use, initBackend() (the fastest available), reported once on stderr
 * (with the hint when the fast path is missing). The library's async entry points call it, so a
 * user who never calls initBackend still gets the fast path.
 */
export async function ensureBackend(): Promise<BackendInfo> {
  if (info) return info;
  const i = await initBackend();
  if (!reported) {
    reported = true;
    process.stderr.write(`aae-lab: backend ${i.description}\n${i.hint ? `aae-lab: hint: ${i.hint}\n` : ''}`);
  }
  return i;
}

/** Throws a ConfigError naming `what` when no backend was initialised (initBackend or ensureBackend). */
export function requireBackend(what: string): void {
  if (!info) throw new ConfigError(`${what}: no backend yet; call \`await initBackend()\` first (the async \`experiment()\` and \`load()\` do it for you)`);
}

/** The native Adam update when the wasm-blas backend is active, else null (Adam then uses tfjs ops). */
export function nativeAdam(): NativeAdam | null {
  if (!addon || info?.name !== 'wasm-blas' || tf.getBackend() !== 'wasm') return null;
  const a = addon;
  return { update: (x, g, m, v, lrT, b1, b2, eps) => nativeAdamUpdate(a, x, g, m, v, lrT, b1, b2, eps) };
}

/**
 * The native dense layer when wasm-blas is active, else null: dense(x, w, b, {activation, keep, seed})
 * = act(x w + b) times dropoutMask(keep, seed) of lib/nn/layers.ts (the same values; keep 1: no
 * dropout, which only relu layers take), as one kernel with its own gradient.
 */
export function nativeDense(): ((x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor, attrs: DenseAttrs) => tf.Tensor2D) | null {
  if (!addon || info?.name !== 'wasm-blas' || tf.getBackend() !== 'wasm') return null;
  return (x, w, b, attrs) => tf.engine().runKernel(DENSE, { x, w, b }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

export interface NativeLosses {
  /** mean((pred - target)^2) as one kernel (and one for its gradient). */
  mse(pred: tf.Tensor, target: tf.Tensor): tf.Scalar;
  /** mean of sigmoid cross-entropy of logits against a constant target 0 or 1, as one kernel (and one for its gradient). */
  sigmoidXent(logits: tf.Tensor, target: 0 | 1): tf.Scalar;
}

/** The losses as single kernels when wasm-blas is active, else null (lib/nn/losses then uses tfjs ops). */
export function nativeLosses(): NativeLosses | null {
  if (!addon || info?.name !== 'wasm-blas' || tf.getBackend() !== 'wasm') return null;
  return {
    mse: (pred, target) => tf.engine().runKernel(MSE, { pred, target }, {}) as tf.Scalar,
    sigmoidXent: (logits, target) => tf.engine().runKernel(SIGMOID_XENT, { logits }, { target }) as tf.Scalar,
  };
}

export { loadNativeAddon, type NativeAddon } from './addon';
export { installNativeKernels, uninstallNativeKernels, nativeKernelsInstalled } from './kernels';
