// PLACEHOLDER written by the lead so the tree compiles; the backend engineer replaces this whole file.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as path from 'node:path';

export interface BackendInfo { name: 'tensorflow-gpu' | 'tensorflow' | 'wasm-blas' | 'wasm' | 'cpu'; tfBackend: string; native: boolean; description: string; hint?: string }
export interface NativeAdam {
  update(variable: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, lrT: number, beta1: number, beta2: number, epsilon: number): void;
}
let info: BackendInfo | null = null;
export async function initBackend(opts: { backend?: string; quiet?: boolean } = {}): Promise<BackendInfo> {
  if (info) return info;
  const want = opts.backend ?? process.env.AAE_BACKEND ?? 'wasm';
  if (want === 'cpu') { await tf.setBackend('cpu'); info = { name: 'cpu', tfBackend: 'cpu', native: false, description: 'cpu' }; return info; }
  setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  await tf.setBackend('wasm');
  info = { name: 'wasm', tfBackend: 'wasm', native: false, description: 'wasm (placeholder)' };
  return info;
}
export function backendInfo(): BackendInfo | null { return info; }
export function nativeAdam(): NativeAdam | null { return null; }
