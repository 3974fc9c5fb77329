/**
 * Figure-rendering benchmark, called by `npm run bench` (lib/bench/bench.ts), or alone:
 * `node --import tsx bench/figures.ts`. Times the heaviest figure, the 10,000-point latent scatter, from
 * data to PNG: spec build, Vega-Lite compile + headless SVG, resvg PNG (2x). Target: < 2 s in all.
 * The codes are gaussian-mixture prior samples for the 10,000 test labels (cluster shapes like a
 * trained model's, no training needed).
 */
import { loadMnist } from '../lib/data/mnist';
import { gaussianMixture } from '../lib/priors';
import { Rng } from '../lib/random';
import { latentScatterSpec } from '../lib/figures/specs';
import { renderSvg, svgToPng } from '../lib/display/render';

export interface FigureBenchResult {
  points: number;
  specMs: number;
  svgMs: number;
  pngMs: number;
  totalMs: number;
  specBytes: number;
  svgBytes: number;
  pngBytes: number;
  pngWidth: number;
  pngHeight: number;
}

export async function benchFigures(): Promise<FigureBenchResult> {
  const labels = loadMnist().test.labels;
  const codes = gaussianMixture(labels, 2, new Rng(0)).z;
  await renderSvg(latentScatterSpec({ codes: codes.subarray(0, 200), nZ: 2, labels: labels.subarray(0, 100) })); // warm-up: module loading, JIT
  const t0 = performance.now();
  const spec = latentScatterSpec({ codes, nZ: 2, labels });
  const t1 = performance.now();
  const svg = await renderSvg(spec);
  const t2 = performance.now();
  const png = svgToPng(svg, { scale: 2 });
  const t3 = performance.now();
  const r: FigureBenchResult = {
    points: labels.length,
    specMs: t1 - t0,
    svgMs: t2 - t1,
    pngMs: t3 - t2,
    totalMs: t3 - t0,
    specBytes: Buffer.byteLength(JSON.stringify(spec)),
    svgBytes: Buffer.byteLength(svg),
    pngBytes: png.png.length,
    pngWidth: png.width,
    pngHeight: png.height,
  };
  const kb = (b: number) => `${(b / 1024).toFixed(0)} kB`;
  console.log(
    `figures: ${r.points}-point latent scatter → PNG in ${r.totalMs.toFixed(0)} ms (target < 2000 ms): ` +
      `spec ${r.specMs.toFixed(0)} ms (${kb(r.specBytes)}), SVG ${r.svgMs.toFixed(0)} ms (${kb(r.svgBytes)}), ` +
      `PNG ${r.pngMs.toFixed(0)} ms (${kb(r.pngBytes)}, ${r.pngWidth}x${r.pngHeight})`,
  );
  return r;
}

if (require.main === module) {
  benchFigures().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
