"""Rewrites the results tables of README.md and docs/results.md from `aae-results table` (results/).

  /usr/bin/python3 scripts/update-results-tables.py     (builds dist/ first)

README.md: between <!-- targets-table --> and <!-- /targets-table -->, the targets table alone;
between <!-- results-table --> and <!-- /results-table -->, the tables after it. docs/results.md:
between its results-table markers, the whole output. Then scripts/results-curves.ts redraws
docs/curves/classification.png and clustering.png.
"""
import os
import re
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bin/aae-results.js runs the compiled dist/: build it first, or the tables come from stale code
subprocess.run(["npm", "run", "-s", "build"], cwd=REPO, check=True)
out = subprocess.run(["node", "bin/aae-results.js", "table"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
parts = out.split("\n\n")
# the targets table is the first table (its heading line, then the table)
first_table = next(i for i, p in enumerate(parts) if p.startswith("| target |"))
targets = parts[first_table]
rest = "\n\n".join(parts[first_table + 1:])


def put(path, marker, body):
    text = open(path).read()
    pat = re.compile(rf"(<!-- {marker} -->\n)(.*?)(\n<!-- /{marker} -->)", re.S)
    assert pat.search(text), f"{path}: no {marker} markers"
    text = pat.sub(lambda m: m.group(1) + body + m.group(3), text)
    open(path, "w").write(text)


put(os.path.join(REPO, "README.md"), "targets-table", targets)
put(os.path.join(REPO, "README.md"), "results-table", rest)
put(os.path.join(REPO, "docs/results.md"), "results-table", out)
print("README.md and docs/results.md: tables rewritten from results/")
# the curves of the runs the targets table reports (docs/curves/*.png)
subprocess.run(["npx", "tsx", "scripts/results-curves.ts"], cwd=REPO, check=True)
