"""Execute chapters as a learner who changes the seed or the data split would.

Every empirical claim of the text goes through ``helpers.claims.claim``; with
``COURSE_STRICT_CLAIMS=1`` a claim that does not hold fails the run. This script copies
each notebook to ``_ci/variants/<variant>/``, changes its ``SEED = 0`` line (the one a
learner would edit), sets ``MNIST_SPLIT_SEED`` for another stratified split of the digits,
and executes it offline, strictly. It is the slow check behind ``make claims``.

    python scripts/run_variants.py                       # the default variants, MNIST chapters
    python scripts/run_variants.py chapters/04_gradient_descent.ipynb --seed 1
    python scripts/run_variants.py --all                 # every chapter of _toc.yml
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import subprocess
import sys
import time

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "_ci" / "variants"
#: (name, seed, split seed): two other seeds, and another split of the digits.
VARIANTS = (("seed1", 1, None), ("seed2-split1", 2, 1))
SEED_LINE = re.compile(r"^SEED = 0\s*$", re.M)


def toc_notebooks() -> list[pathlib.Path]:
    """The notebooks listed in _toc.yml, in order (parsed with PyYAML)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def uses_mnist(path: pathlib.Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    return any("load_mnist(" in c.source for c in nb.cells if c.cell_type == "code")


def make_variant(path: pathlib.Path, name: str, seed: int) -> pathlib.Path:
    """A copy of the notebook whose ``SEED = 0`` line says ``SEED = seed``."""
    nb = nbformat.read(path, as_version=4)
    hits = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source, n = SEED_LINE.subn(f"SEED = {seed}", cell.source)
            hits += n
    if hits != 1:
        raise SystemExit(f"{path.name}: expected one line 'SEED = 0', found {hits}")
    target = OUT / name / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--all", action="store_true", help="every chapter, not only the MNIST ones")
    parser.add_argument("--seed", type=int, help="one variant with this seed")
    parser.add_argument("--split-seed", type=int, help="with --seed: also this MNIST split")
    parser.add_argument("-n", "--workers", default="2", help="pytest-xdist workers (default 2)")
    args = parser.parse_args()
    notebooks = [p.resolve() for p in args.notebooks] or [
        p for p in toc_notebooks() if args.all or uses_mnist(p)]
    variants = VARIANTS if args.seed is None else ((f"seed{args.seed}", args.seed, args.split_seed),)
    start = time.perf_counter()
    failed = 0
    for name, seed, split in variants:
        copies = [make_variant(p, name, seed) for p in notebooks]
        env = {**os.environ, "COURSE_STRICT_CLAIMS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
               "MNIST_SOURCE": "sample",
               "PYTHONPATH": str(ROOT / "scripts" / "offline")}
        env.pop("MNIST_SPLIT_SEED", None)
        if split is not None:
            env["MNIST_SPLIT_SEED"] = str(split)
        print(f"### variant {name}: SEED = {seed}, MNIST_SPLIT_SEED = {split}", flush=True)
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbmake",
               "--nbmake-timeout=300", "-o", "testpaths=", *map(str, copies)]
        if args.workers not in ("0", "1") and len(copies) > 1:
            cmd[4:4] = ["-n", args.workers]
        failed += subprocess.call(cmd, cwd=ROOT, env=env) != 0
    print(f"variants: {len(variants)} x {len(notebooks)} notebooks in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
