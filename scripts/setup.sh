#!/usr/bin/env bash
# One-command set-up on a fresh Debian/Ubuntu machine (run as root, or with sudo available):
#   - Debian packages: OpenBLAS (the native fast path), Jupyter's nbconvert/nbclient (to run the
#     notebooks headlessly), DejaVu fonts (text in PNG figures), Chromium (the browser test renders
#     the notebooks' Vega-Lite charts with vega-embed in headless Chromium; without it that test is
#     skipped); Fashion-MNIST (dataset-fashion-mnist: `aae --dataset fashion-mnist` and its test);
#   - npm packages, which also builds the optional native OpenBLAS addon (native/).
# Safe to re-run. Set AAE_SKIP_APT=1 to skip the Debian packages (the library then falls back to
# plain wasm and the notebook tests are skipped with a message).
set -euo pipefail
cd "$(dirname "$0")/.."
APT_PACKAGES=(libopenblas-dev jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel fonts-dejavu-core chromium dataset-fashion-mnist)
if [ "${AAE_SKIP_APT:-0}" != "1" ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
echo "setup: done. Run the tests with: npm test"
