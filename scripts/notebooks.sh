#!/usr/bin/env bash
# Executes every notebook headlessly with real Jupyter (nbclient on the tslab TypeScript kernel).
#   npm run notebooks                  full run, in place: the notebooks themselves get the outputs
#   npm run notebooks -- --quick       quick mode (AAE_QUICK=1: tiny settings, models kept apart),
#                                      executed copies written to notebooks/executed/
#   npm run notebooks -- notebooks/03-manifold-supervised.ipynb    only that notebook
# Other options go to scripts/notebooks.py (--timeout S, --out-dir DIR). Trained models are kept in
# notebooks/runs/full/ (quick mode: notebooks/runs/quick/) and reused by later notebooks and re-runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$(bash scripts/find-python.sh)" || exit 3
npm run --silent build
npx --no-install tsx scripts/build-notebooks.ts --check
args=("$@")
quick=0
out=0
for a in "$@"; do
  [ "$a" = "--quick" ] && quick=1
  [ "$a" = "--out-dir" ] && out=1
done
if [ "$quick" = 1 ] && [ "$out" = 0 ]; then args+=(--out-dir notebooks/executed); fi
exec "$PY" scripts/notebooks.py "${args[@]}"
