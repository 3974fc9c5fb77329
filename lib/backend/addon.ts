/**
 * Loading the optional native addon `aae-lab-native` (native/, built against OpenBLAS at install):
 * the functions the wasm-blas backend's kernels (./kernels.ts) call.
 */
import * as path from 'node:path';

export interface ConvConfig {
  gemm: 'avx512' | 'openblas';
  workers: 'load' | 'all' | 'one';
}

/** The addon's functions (native/src/aae_native.c documents each). */
export interface NativeAddon {
  fusedMatMul(
    a: Float32Array,
    b: Float32Array,
    out: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
    bias: Float32Array | null,
    act: number,
    alpha: number,
    /** dropout after the activation, as dropoutApply(out, seed, keepProb): both or neither */
    seed?: number,
    keepProb?: number,
  ): void;
  adam(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lrT: number, beta1: number, beta2: number, epsilon: number): void;
  /** The common case of lib/random.ts's ziggurat noise: out[i] = x[i] + std * z_i; returns how many (index, draw) pairs it left in rare. */
  zigNormal(out: Float32Array, x: Float32Array, std: number, state: Int32Array, k: Int32Array, w: Float64Array, rare: Int32Array): number;
  biasGrad(dy: Float32Array, out: Float32Array, rows: number, n: number): void;
  dropoutApply(x: Float32Array, seed: number, keepProb: number): void;
  activationGrad(dy: Float32Array, y: Float32Array, out: Float32Array, act: number, scale: number): void;
  /** activationGrad(dy, y, dz, act, scale) then biasGrad(dz, db, rows, n), in one pass (the same values). */
  denseGrad(dy: Float32Array, y: Float32Array, dz: Float32Array, db: Float32Array, rows: number, n: number, act: number, scale: number): void;
  /** The sum of (pred - target)^2 in double precision (eight interleaved partial sums). */
  mseSum(pred: Float32Array, target: Float32Array): number;
  /** out = float32(c (pred - target)), in double precision. */
  mseGrad(pred: Float32Array, target: Float32Array, out: Float32Array, c: number): void;
  /** geom: [n, h, w, c, oh, ow, f, fh, fw, sh, sw, dh, dw, padTop, padLeft] (NHWC x, HWIO filter); bias, act, alpha as fusedMatMul's. */
  conv2d(x: Float32Array, filter: Float32Array, out: Float32Array, geom: number[], bias: Float32Array | null, act: number, alpha: number): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geom: number[]): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, geom: number[]): void;
  /** The same for depthwise convolutions: geom's f is the channel multiplier, the output has c f channels. */
  depthwiseConv2d(x: Float32Array, filter: Float32Array, out: Float32Array, geom: number[], bias: Float32Array | null, act: number, alpha: number): void;
  depthwiseConv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geom: number[]): void;
  depthwiseConv2dBackpropFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, geom: number[]): void;
  /**
   * The convolutions' settings, changed by the options given; returns those in use. gemm: the products, 'avx512' (the addon's own, the
   * default where the CPU has AVX-512) or 'openblas'. workers: 'load' (the default: up to the BLAS thread count, fewer when the load
   * average says other jobs occupy the cores), 'all' or 'one'; results do not depend on it.
   */
  convConfig(options?: Partial<ConvConfig>): ConvConfig;
  /**
   * The dense products' settings, changed by the options given; returns those in use. gemm: 'avx512' (the addon's own sgemm on a pool of
   * as many threads as OpenBLAS has, the default where the CPU has AVX-512; its results do not depend on the thread count) or 'openblas'.
   */
  denseConfig(options?: { gemm?: 'avx512' | 'openblas' }): { gemm: 'avx512' | 'openblas' };
  /** CPU seconds (summed over threads) in the convolutions' im2col, products and col2im since the last reset; timing starts with the first call. */
  convTimes(reset: boolean): { im2col: number; gemm: number; col2im: number };
  setThreads(n: number): void;
  getThreads(): number;
  config(): string;
}

export interface AddonLoad {
  addon: NativeAddon | null;
  /** Why the addon could not be loaded (absent when it loaded). */
  error?: string;
}

let loaded: AddonLoad | null = null;

/** Every function the library calls: a build from older sources lacks some and is not used. */
const ADDON_FUNCTIONS: (keyof NativeAddon)[] = [
  'fusedMatMul',
  'adam',
  'zigNormal',
  'biasGrad',
  'dropoutApply',
  'activationGrad',
  'denseGrad',
  'mseSum',
  'mseGrad',
  'conv2d',
  'conv2dBackpropInput',
  'conv2dBackpropFilter',
  'depthwiseConv2d',
  'depthwiseConv2dBackpropInput',
  'depthwiseConv2dBackpropFilter',
  'denseConfig',
  'convConfig',
  'convTimes',
  'setThreads',
  'getThreads',
  'config',
];

/**
 * Loads the addon once: the installed optional dependency `aae-lab-native`, else the copy built in
 * the project's own native/ folder (a checkout where `npm install` ran before the link existed).
 */
export function loadNativeAddon(): AddonLoad {
  if (loaded) return loaded;
  const errors: string[] = [];
  for (const id of ['aae-lab-native', path.join(__dirname, '..', '..', 'native')]) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const addon = require(id) as NativeAddon;
      const missing = ADDON_FUNCTIONS.filter((f) => typeof (addon as unknown as Record<string, unknown>)[f] !== 'function');
      if (missing.length > 0) {
        errors.push(`${id}: built from older sources (no ${missing.join(', ')}); rebuild it with \`npm rebuild aae-lab-native\``);
        continue;
      }
      loaded = { addon };
      return loaded;
    } catch (e) {
      errors.push(`${id}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  loaded = { addon: null, error: errors.join('; ') };
  return loaded;
}
