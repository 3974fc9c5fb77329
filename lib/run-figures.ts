import type { Experiment } from './experiment';
export interface RunFigureOptions { pmlr: boolean; parr: boolean }
export async function writeRunFigures(_exp: Experiment, _out: string, _o: RunFigureOptions): Promise<string[]> {
  return [];
}
