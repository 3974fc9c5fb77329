// ESLint (flat config): typescript-eslint's recommended rules, and the layers of lib/ pointing one
// way. Each layer may import only the layers below it (ARCHITECTURE.md):
//   base (errors, random, atomic-write, lock, backend) -> data -> nn, priors -> models -> train
//   -> settings (the table of run settings) -> eval, figures -> display -> notebook (lib/notebook-runs.ts)
//   -> api (lib/api/: experiment() and load(), the namespaces' curated parts) -> cli
// lib/index.ts re-exports them all; bench/ and test/ sit outside and may import any of them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import paths of the layers, as a regular expression over the import string. */
const LAYER_PATHS = {
  data: 'data',
  nn: 'nn|priors',
  models: 'models',
  train: 'train',
  settings: 'settings',
  eval: 'eval|figures',
  display: 'display',
  notebook: 'notebook-runs',
  api: 'api',
  cli: 'cli',
};
const ORDER = ['base', 'data', 'nn', 'models', 'train', 'settings', 'eval', 'display', 'notebook', 'api', 'cli'];
const FILES = {
  base: ['lib/errors.ts', 'lib/random.ts', 'lib/atomic-write.ts', 'lib/lock.ts', 'lib/backend/**/*.ts'],
  data: ['lib/data/**/*.ts'],
  nn: ['lib/nn/**/*.ts', 'lib/priors.ts'],
  models: ['lib/models/**/*.ts'],
  train: ['lib/train/**/*.ts'],
  settings: ['lib/settings/**/*.ts'],
  eval: ['lib/eval/**/*.ts', 'lib/figures/**/*.ts'],
  display: ['lib/display/**/*.ts'],
  notebook: ['lib/notebook-runs.ts'],
  api: ['lib/api/**/*.ts'],
  cli: ['lib/cli/**/*.ts'],
};

/** One config per layer: importing a layer above it is an error. */
const layerRules = ORDER.map((layer, i) => {
  const above = ORDER.slice(i + 1).map((l) => LAYER_PATHS[l]);
  // The library never imports the benchmark, the tests or the package root.
  const forbidden = [...above, 'bench', 'test'].join('|');
  return {
    files: FILES[layer],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^\\.\\.?/(.*/)?(${forbidden})(/|$)`,
              message: `a back-edge: ${layer} imports a layer above it (${ORDER.slice(i + 1).join(', ') || 'none'}); see ARCHITECTURE.md`,
            },
            { regex: '^\\.\\./\\.\\./bench', message: 'the library does not import the benchmark' },
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/**', '.bench-build/**', 'node_modules/**', 'native/**', 'notebooks/**', 'docs/**', 'results/**', 'runs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  ...layerRules,
  // The two CLIs share lib/cli/common.ts, run.ts and run-config.ts; neither imports the other.
  { files: ['lib/cli/aae.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\./aae-results$', message: 'the CLIs do not import each other' }] }] } },
  { files: ['lib/cli/aae-results.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: '^\\./aae$', message: 'the CLIs do not import each other' }] }] } },
  {
    // Tests reach into modules (as any) and build deliberately bad values.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
