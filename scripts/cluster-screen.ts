/**
 * Small-scale screening of the clustering model (docs/results.md, "Unsupervised clustering"):
 * 10,000 training images, 500 units, 16 clusters, style n_z 5, 12 epochs by default; for every
 * variant and seed, the validation error after each epoch and after the last, and each variant's
 * mean over the seeds. A variant is a set of config fields over the base.
 *
 *   npx tsx scripts/cluster-screen.ts '{"name": {config fields}, ...}' ['{base config fields}'] [seeds, e.g. 0,1,2]
 */
import { initBackend } from '../lib/backend';
import { makeConfig, type AAEConfig } from '../lib/models';
import { createExperiment } from '../lib/train/setup';

const variants = JSON.parse(process.argv[2] ?? '{"default": {}}') as Record<string, Partial<AAEConfig>>;
const base = JSON.parse(process.argv[3] ?? '{}') as Partial<AAEConfig>;
const seeds = (process.argv[4] ?? '0,1,2').split(',').map(Number);

(async () => {
  await initBackend();
  for (const [name, over] of Object.entries(variants)) {
    const last: number[] = [];
    for (const seed of seeds) {
      const cfg = makeConfig({ model: 'clustering', clusters: 16, nZ: 5, nHidden: 500, trainSize: 10000, epochs: 12, seed, ...base, ...over }, 'paper');
      const exp = createExperiment(cfg);
      const curve: number[] = [];
      try {
        await exp.trainer.run({ evalSize: 2000, callbacks: { onEpochEnd: (m) => void curve.push(m.val_error as number) } });
      } finally {
        exp.model.dispose();
      }
      last.push(curve[curve.length - 1]);
      console.log(`  ${name}, seed ${seed}: validation error per epoch (%) ${curve.map((e) => (100 * e).toFixed(1)).join(' ')}`);
    }
    const mean = last.reduce((a, b) => a + b, 0) / last.length;
    console.log(`${name}: last epoch ${last.map((e) => (100 * e).toFixed(1)).join(', ')}; mean ${(100 * mean).toFixed(1)}%`);
  }
})().catch((e) => {
  console.error(`cluster-screen: ${(e as Error).message}`);
  process.exit(1);
});
