/**
 * The validation and test error per epoch of the runs the targets table reports (results/), as two
 * figures for README and docs/results.md: docs/curves/classification.png and
 * docs/curves/clustering.png. scripts/update-results-tables.py
 * runs it after rewriting the tables.
 *
 *   npx tsx scripts/results-curves.ts [results-folder] [figures-folder]
 */
import * as path from 'node:path';
import { PAPER_CLUSTER_ERRORS, PAPER_ERRORS, bestClassificationRuns, bestClusteringRuns, readResults } from '../lib/eval/results';
import { errorCurvesSpec } from '../lib/figures/specs';
import { writeFigure } from '../lib/display/render';

const root = path.join(__dirname, '..');
const resultsDir = process.argv[2] ?? path.join(root, 'results');
const figuresDir = process.argv[3] ?? path.join(root, 'docs', 'curves');
const labelText = (n: number) => (n === 55000 ? 'all' : n.toLocaleString('en-US'));

(async () => {
  const read = readResults(resultsDir);
  const cls = bestClassificationRuns(read.classification);
  const clu = bestClusteringRuns(read.clustering);
  const written: string[] = [];
  if (cls.length > 0) {
    const spec = errorCurvesSpec(
      cls.map((r) => ({ name: `${labelText(r.labels)} labels, seed ${r.seed}`, history: r.history })),
      {
        title: 'Semi-supervised classification: the targets table’s runs',
        subtitle: 'solid: test error, dashed: validation error; grey: the AAE paper',
        width: 560,
        references: [...new Set(cls.map((r) => r.labels))].map((n) => ({ name: `paper, ${labelText(n)} labels`, error: PAPER_ERRORS[n].mean })),
      },
    );
    written.push(...(await writeFigure(spec, path.join(figuresDir, 'classification'), { svg: false })));
  }
  if (clu.length > 0) {
    const spec = errorCurvesSpec(
      clu.map((r) => ({ name: `${r.clusters} clusters, seed ${r.seed}`, history: r.history })),
      {
        title: 'Unsupervised clustering: the targets table’s runs',
        subtitle: 'solid: test error, dashed: validation error; grey: the AAE paper',
        width: 560,
        references: [...new Set(clu.map((r) => r.clusters))].map((k) => ({ name: `paper, ${k} clusters`, error: PAPER_CLUSTER_ERRORS[k].mean })),
      },
    );
    written.push(...(await writeFigure(spec, path.join(figuresDir, 'clustering'), { svg: false })));
  }
  console.log(`wrote ${written.map((f) => path.relative(root, f)).join(', ') || 'nothing (no results)'}`);
})().catch((e) => {
  console.error(`results-curves: ${(e as Error).message}`);
  process.exit(1);
});
