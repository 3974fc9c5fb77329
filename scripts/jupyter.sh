#!/usr/bin/env bash
# Starts Jupyter on notebooks/ with the tslab TypeScript kernel registered for this checkout only:
# the kernelspec is written to .jupyter/ (git-ignored) and found through JUPYTER_PATH.
# Uses JupyterLab when installed (pip install jupyterlab), else Notebook 6 (Debian: apt-get install
# jupyter-notebook). Options are passed to Jupyter (e.g. --no-browser --port 8899).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run --silent build
PY="$(command -v python3 || command -v /usr/bin/python3)"
"$PY" scripts/notebooks.py --register-only >/dev/null
export JUPYTER_PATH="$PWD/.jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
if jupyter lab --version >/dev/null 2>&1; then
  exec jupyter lab --notebook-dir=notebooks "$@"
elif jupyter notebook --version >/dev/null 2>&1; then
  exec jupyter notebook --notebook-dir=notebooks "$@"
fi
echo "No Jupyter front-end found. Install one: apt-get install jupyter-notebook (Notebook 6), or pip install jupyterlab." >&2
echo "The notebooks still run headlessly with: npm run notebooks" >&2
exit 3
