#!/usr/bin/env bash
# Prints a Python that can run Jupyter's nbclient: $AAE_PYTHON, else Debian's /usr/bin/python3,
# else python3 on PATH. Exits 3 with the install hint when none can.
for py in ${AAE_PYTHON:-} /usr/bin/python3 python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import nbclient, nbformat' >/dev/null 2>&1; then
    command -v "$py"
    exit 0
  fi
done
echo "Jupyter's nbclient was not found for ${AAE_PYTHON:-/usr/bin/python3} or python3 on PATH." >&2
echo "Install it with scripts/setup.sh, or: apt-get install jupyter-nbconvert jupyter-client python3-nbclient python3-ipykernel" >&2
echo "(or set AAE_PYTHON to a Python that has nbclient)" >&2
exit 3
