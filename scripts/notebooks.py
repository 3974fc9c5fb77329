"""Executes aae-lab's notebooks with real Jupyter (nbclient) on the tslab TypeScript kernel.

The tslab kernelspec is written into a project-local folder (default <repo>/.jupyter, git-ignored)
and found through JUPYTER_PATH, so nothing is installed for the user. Each notebook runs in its own
folder (the kernel's working folder is the notebook's folder, as in Jupyter).

  python3 scripts/notebooks.py [--quick] [--out-dir DIR] [--timeout S] [--kernel-dir DIR] [NB.ipynb ...]
  python3 scripts/notebooks.py --register-only [--kernel-dir DIR]

Without --out-dir the notebooks are executed in place (their outputs are rewritten). --quick sets
AAE_QUICK=1 for the kernel (tiny settings; the notebooks keep quick-mode models apart).
On a failing cell: prints the notebook, the cell id, the head of its source and the text the cell
wrote to stderr / its error, and exits 1. Exit 3 when Jupyter's Python packages are missing.
"""
import argparse
import json
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def register_kernel(kernel_dir):
    """Writes <kernel_dir>/kernels/tslab/kernel.json for this checkout and returns kernel_dir."""
    tslab = os.path.join(REPO, "node_modules", ".bin", "tslab")
    if not os.path.exists(tslab):
        sys.stderr.write("notebooks: %s is missing; run `npm install` (tslab is a devDependency)\n" % tslab)
        sys.exit(3)
    spec_dir = os.path.join(kernel_dir, "kernels", "tslab")
    os.makedirs(spec_dir, exist_ok=True)
    spec = {
        "argv": [tslab, "kernel", "--config-path", "{connection_file}"],
        "display_name": "TypeScript",
        "language": "typescript",
    }
    with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    paths = [kernel_dir] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    os.environ["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))
    return kernel_dir


def format_notebook(path):
    """Rewrites an executed notebook in the committed form: nbformat's JSON, with the Vega-Lite
    outputs' data arrays one line each (scripts/build-notebooks.ts --format, the one writer of it)."""
    import subprocess

    tsx = os.path.join(REPO, "node_modules", ".bin", "tsx")
    subprocess.run([tsx, os.path.join(REPO, "scripts", "build-notebooks.ts"), "--format", path], check=True)


def cell_error_text(cell):
    """The text a failed cell left: its stderr stream and error outputs."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append("%s: %s" % (out.get("ename", ""), out.get("evalue", "")))
            parts.extend(out.get("traceback", []))
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts if p)


def execute(path, out_path, timeout, quick):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="tslab",
        timeout=timeout,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        record_timing=True,
    )
    started = []
    client.on_cell_start = lambda cell, cell_index: started.append(cell)
    failed = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        failed = e
    # Save whatever ran, failed or not: the outputs show where and why.
    nbformat.write(nb, out_path)
    format_notebook(out_path)
    if failed is None:
        return None
    cell = started[-1] if started else None  # the cell that was running when execution stopped
    lines = ["%s: %s" % (type(failed).__name__, os.path.basename(path))]
    if cell is not None:
        src = "".join(cell.source).splitlines()
        lines.append("cell %s:" % cell.get("id", "?"))
        lines.extend("  | " + l for l in src[:8])
        if len(src) > 8:
            lines.append("  | ...")
        text = cell_error_text(cell).rstrip()
        lines.append(text if text else str(failed).strip().splitlines()[0])
    else:
        lines.append(str(failed).strip())
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    ap.add_argument("--quick", action="store_true", help="quick mode: AAE_QUICK=1 for the kernel")
    ap.add_argument("--out-dir", help="write executed copies here instead of executing in place")
    ap.add_argument("--timeout", type=int, default=-1, help="seconds per cell (default: no limit)")
    ap.add_argument("--kernel-dir", default=os.path.join(REPO, ".jupyter"), help="where the kernelspec is written")
    ap.add_argument("--register-only", action="store_true", help="write the kernelspec and exit")
    args = ap.parse_args(argv)

    register_kernel(os.path.abspath(args.kernel_dir))
    if args.register_only:
        print(os.path.abspath(args.kernel_dir))
        return 0
    try:
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as e:
        sys.stderr.write(
            "notebooks: Jupyter's Python packages are missing for %s (%s).\n"
            "Install them with scripts/setup.sh, or: apt-get install jupyter-nbconvert jupyter-client "
            "python3-nbclient python3-ipykernel\n" % (sys.executable, e)
        )
        return 3
    if args.quick:
        os.environ["AAE_QUICK"] = "1"
    else:
        os.environ.pop("AAE_QUICK", None)
    nbs = args.notebooks or sorted(
        os.path.join(REPO, "notebooks", f) for f in os.listdir(os.path.join(REPO, "notebooks")) if f.endswith(".ipynb")
    )
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
    failures = 0
    for nb in nbs:
        out = os.path.join(args.out_dir, os.path.basename(nb)) if args.out_dir else nb
        t0 = time.time()
        err = execute(nb, out, args.timeout, args.quick)
        status = "FAILED" if err else "ok"
        print("%s %s (%.1f s) -> %s" % (status, os.path.basename(nb), time.time() - t0, out), flush=True)
        if err:
            failures += 1
            sys.stderr.write(err + "\n")
            sys.stderr.flush()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
