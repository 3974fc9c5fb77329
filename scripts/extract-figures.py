"""Writes the PNG of every named figure in the executed notebooks to docs/figures/.

  /usr/bin/python3 scripts/extract-figures.py [--out docs/figures] [NB.ipynb ...]

A figure is a display_data output whose metadata carries {"aae_lab": {"figure": NAME}} (set by the
library's showFigure); it is written as <out>/<notebook stem>--<NAME>.png. Notebooks without
outputs (never executed) are reported and skipped. Exit 1 when no figure was found at all.
"""
import argparse
import base64
import glob
import json
import os
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(REPO, "docs", "figures"))
    ap.add_argument("notebooks", nargs="*")
    a = ap.parse_args()
    paths = a.notebooks or sorted(glob.glob(os.path.join(REPO, "notebooks", "*.ipynb")))
    os.makedirs(a.out, exist_ok=True)
    total = 0
    for p in paths:
        stem = os.path.splitext(os.path.basename(p))[0]
        found = list(figures(p))
        if not found:
            print("%s: no figures (not executed?)" % p)
        for name, data in found:
            dest = os.path.join(a.out, "%s--%s.png" % (stem, name))
            with open(dest, "wb") as f:
                f.write(data)
            print("wrote %s (%d kB)" % (os.path.relpath(dest, REPO), len(data) // 1024))
            total += 1
    if total == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
