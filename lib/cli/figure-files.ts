/**
 * The figures of a finished run, written by the CLI into its output folder: PNG for every figure
 * (2x scale), plus SVG where it is small (not the 10,000-point scatter or the prior samples).
 * The semi-supervised per-label manifold is written as a grid of all ten labels, and its
 * interactive version (label slider) as a Vega-Lite spec, manifold.interactive.vl.json, to open in
 * any Vega-Lite viewer (e.g. the online Vega editor).
 */
import * as path from 'node:path';
import type { Experiment } from '../train/setup';
import { FIGURE_NAMES, experimentFigures, type ExperimentFigureOptions } from '../figures/experiment';
import { writeFigure } from '../display/render';
import { writeFileAtomic } from '../atomic-write';

export interface RunFigureOptions extends Omit<ExperimentFigureOptions, 'pmlr' | 'parr'> {
  pmlr: boolean;
  parr: boolean;
  /** Print skipped figures and their reason to stderr (default true). */
  verbose?: boolean;
}

/** The names of every figure file writeRunFigures can write into a run folder. */
export function runFigureFiles(): string[] {
  return FIGURE_NAMES.flatMap((n) => [`${n}.png`, `${n}.svg`, `${n}.vl.json`, `${n}.interactive.vl.json`]);
}

/** Writes the run's figures into `out` (each atomically); returns the paths written. */
export async function writeRunFigures(exp: Experiment, out: string, o: RunFigureOptions): Promise<string[]> {
  const { figures, skipped } = experimentFigures(exp, o);
  const written: string[] = [];
  for (const f of figures) {
    written.push(...(await writeFigure(f.staticSpec ?? f.spec, path.join(out, f.name))));
    if (f.staticSpec) {
      const file = path.join(out, `${f.name}.interactive.vl.json`);
      writeFileAtomic(file, JSON.stringify(f.spec));
      written.push(file);
    }
  }
  if (o.verbose !== false) for (const s of skipped) console.error(`figure ${s.name} skipped: ${s.reason}`);
  return written;
}
