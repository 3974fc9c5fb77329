"""Copies the PNG of every figure README.md shows out of the executed notebooks into docs/figures/.

  /usr/bin/python3 scripts/extract-figures.py [--out docs/figures] [--all] [NB.ipynb ...]

A figure is a display_data output whose metadata carries {"aae_lab": {"figure": NAME}} (set by the
library's showNamedFigure); it is written as <out>/<notebook stem>--<NAME>.png, byte for byte the
PNG the notebook shows. Only the figures README.md names (docs/figures/<stem>--<NAME>.png) are
written and any other PNG in the folder is removed, so README's images are the one copy outside
the notebooks (--all writes every figure instead, and removes nothing). Notebooks without outputs
(never executed) are reported and skipped. Exit 1 when a figure README names was not found.
"""
import argparse
import base64
import glob
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def figures(path):
    with open(path) as f:
        nb = json.load(f)
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") != "display_data":
                continue
            name = out.get("metadata", {}).get("aae_lab", {}).get("figure")
            png = out.get("data", {}).get("image/png")
            if name and png:
                yield name, base64.b64decode(png if isinstance(png, str) else "".join(png))


def readme_figures():
    """The file names README.md shows from docs/figures/."""
    with open(os.path.join(REPO, "README.md")) as f:
        return set(re.findall(r"docs/figures/([\w.-]+--[\w.-]+\.png)", f.read()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "figures"))
    ap.add_argument("--all", action="store_true", help="every figure, not only README's")
    ap.add_argument("notebooks", nargs="*")
    a = ap.parse_args()
    paths = a.notebooks or sorted(glob.glob(os.path.join(REPO, "notebooks", "*.ipynb")))
    os.makedirs(a.out, exist_ok=True)
    wanted = None if a.all else readme_figures()
    written = set()
    total = 0
    for p in paths:
        stem = os.path.splitext(os.path.basename(p))[0]
        found = list(figures(p))
        if not found:
            print("%s: no figures (not executed?)" % p)
        for name, data in found:
            file = "%s--%s.png" % (stem, name)
            if wanted is not None and file not in wanted:
                continue
            written.add(file)
            dest = os.path.join(a.out, file)
            with open(dest, "wb") as f:
                f.write(data)
            print("wrote %s (%d kB)" % (os.path.relpath(dest, REPO), len(data) // 1024))
            total += 1
    if wanted is not None:
        for old in sorted(set(glob.glob(os.path.join(a.out, "*.png"))) - {os.path.join(a.out, f) for f in wanted}):
            os.remove(old)
            print("removed %s (README does not show it)" % os.path.relpath(old, REPO))
        missing = sorted(wanted - written)
        if missing:
            sys.stderr.write("README shows figures no executed notebook has (left as they were): %s\n" % ", ".join(missing))
            sys.exit(1)
    if total == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
