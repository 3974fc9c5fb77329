/**
 * The validation and test error per epoch of the runs the targets table reports (results/), as two
 * figures for README and docs/results.md: docs/curves/classification.png and
 * docs/curves/clustering.png. scripts/update-results-tables.py
 * runs it after rewriting the tables.
 *
 *   npx tsx scripts/results-curves.ts [results-folder] [figures-folder]
 */
import * as path from 'node:path';
import { bestClassificationRuns, bestClusteringRuns, readResults } from '../lib/eval/results';
import { classificationCurvesSpec, clusteringCurvesSpec } from '../lib/figures/result-curves';
import { writeFigure } from '../lib/display/render';

const root = path.join(__dirname, '..');
const resultsDir = process.argv[2] ?? path.join(root, 'results');
const figuresDir = process.argv[3] ?? path.join(root, 'docs', 'curves');

(async () => {
  const read = readResults(resultsDir);
  const cls = bestClassificationRuns(read.classification);
  const clu = bestClusteringRuns(read.clustering);
  const written: string[] = [];
  if (cls.length > 0) {
    written.push(...(await writeFigure(classificationCurvesSpec(cls, { width: 560 }), path.join(figuresDir, 'classification'), { svg: false })));
  }
  if (clu.length > 0) {
    written.push(...(await writeFigure(clusteringCurvesSpec(clu, { width: 560 }), path.join(figuresDir, 'clustering'), { svg: false })));
  }
  console.log(`wrote ${written.map((f) => path.relative(root, f)).join(', ') || 'nothing (no results)'}`);
})().catch((e) => {
  console.error(`results-curves: ${(e as Error).message}`);
  process.exit(1);
});
