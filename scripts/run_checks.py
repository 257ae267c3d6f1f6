"""Every check of the course, in order, with a timing report: what `make test` runs.

Stages
  lint       ruff over helpers/, tests/, benchmarks/, scripts/ and the notebooks
  unit       pytest: helpers, checks, hygiene (no notebook execution)
  notebooks  each notebook executed ONCE with nbmake (two at a time, pytest-xdist), on a
             throwaway copy that keeps the outputs (_ci/book), with every network
             connection but loopback blocked and the text's claims strict
  executed   the executed notebooks: no errors, no stderr output, figures with alt text
  repro      one notebook executed a second time: the same printed numbers
  student    student notebooks (solutions stripped) built; their structure checked, and that
             no kept cell needs a name only a solution defined (not executed again)
  book       the book built from those executed notebooks, execution off, warnings as
             errors, then published to _build/html (the very pages `make book` gives)
  site       internal links resolve; headless Chromium opens every page at 1280 px and
             390 px: nothing clipped, no console error, no serious axe violation

Every stage runs even if an earlier one failed (unless it needs that stage's output), so
one run reports everything; the exit status is non-zero if anything failed.

    python scripts/run_checks.py                 # everything
    python scripts/run_checks.py --only unit lint
    python scripts/run_checks.py --only notebooks book     # what `make book` runs
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
VENV_BIN = pathlib.Path(sys.executable).parent
CI = ROOT / "_ci"  # not under _build/: nbmake skips any path with a _build folder in it
CI_BOOK = CI / "book"  # a copy of the book's sources whose notebooks get executed
REPORTS = CI / "reports"
BUDGET_NOTEBOOK_S = 60
BUDGET_NOTEBOOKS_TOTAL_S = 240
BUDGET_TEST_S = 480
STAGES = ("lint", "unit", "notebooks", "executed", "repro", "student", "book", "site")


def toc_entries(root: pathlib.Path = ROOT) -> list[str]:
    """Every file of _toc.yml in book order (parsed with PyYAML), without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    entries = [toc["root"]]
    for part in toc.get("parts", []):
        entries += [chapter["file"] for chapter in part.get("chapters", [])]
    return entries


def toc_notebooks() -> list[str]:
    return [e for e in toc_entries() if (ROOT / f"{e}.ipynb").exists()]


def run(cmd: list[str], env: dict | None = None) -> int:
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, env={**os.environ, **(env or {})})


def pytest(name: str, args: list[str], env: dict | None = None) -> int:
    REPORTS.mkdir(parents=True, exist_ok=True)
    junit = REPORTS / f"{name}.xml"
    code = run([VENV_BIN / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
                f"--junitxml={junit}", *args], env)
    return code


def junit_times(name: str) -> list[tuple[str, float, str]]:
    """(test name, seconds, outcome) from a stage's JUnit report."""
    path = REPORTS / f"{name}.xml"
    if not path.exists():
        return []
    rows = []
    for case in ET.parse(path).iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "FAILED"
            elif child.tag == "skipped":
                outcome = "skipped"
        rows.append((case.get("name", "?"), float(case.get("time", 0)), outcome))
    return rows


def prepare_book_copy() -> None:
    """Copy the book's sources to _ci/book with execution switched off."""
    if CI_BOOK.exists():
        shutil.rmtree(CI_BOOK)
    CI_BOOK.mkdir(parents=True)
    for name in ("_toc.yml", "references.bib"):
        shutil.copy2(ROOT / name, CI_BOOK / name)
    shutil.copytree(ROOT / "chapters", CI_BOOK / "chapters",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.keras"))
    for folder in ("_static", "_mathjax", "_ext"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, CI_BOOK / folder)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["execute"]["execute_notebooks"] = "off"
    (CI_BOOK / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))


def stage_lint() -> int:
    return run([VENV_BIN / "ruff", "check", "helpers", "tests", "benchmarks", "scripts", "chapters"])


def stage_unit() -> int:
    return pytest("unit", ["-n", "2", "-m", "not slow and not browser", "tests"])


def stage_notebooks() -> int:
    prepare_book_copy()
    notebooks = [CI_BOOK / f"{nb}.ipynb" for nb in toc_notebooks()]
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT / "scripts" / "offline"),
                                          os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env["COURSE_STRICT_CLAIMS"] = "1"
    return pytest("notebooks", ["-n", "2", "--dist", "load", "--nbmake", "--overwrite",
                                "--nbmake-timeout=300", "-o", "testpaths=", *notebooks], env)


def stage_executed() -> int:
    return pytest("executed", ["tests/test_executed_notebooks.py"],
                  {"EXECUTED_DIR": str(CI_BOOK / "chapters")})


def stage_repro() -> int:
    return pytest("repro", ["-m", "slow", "tests/test_reproducible.py"],
                  {"EXECUTED_DIR": str(CI_BOOK / "chapters")})


def stage_student() -> int:
    return run([VENV_BIN / "python", ROOT / "scripts" / "make_student.py"])


def stage_book() -> int:
    out = CI_BOOK / "_build"
    if out.exists():
        shutil.rmtree(out)
    code = run([VENV_BIN / "jupyter-book", "build", CI_BOOK, "--warningiserror", "--keep-going", "--quiet"])
    if code == 0:  # publish: `make book` and `make test` give the same pages
        published = ROOT / "_build" / "html"
        if published.exists():
            shutil.rmtree(published)
        shutil.copytree(out / "html", published)
        print(f"The book is in {published}/index.html")
    return code


def stage_site() -> int:
    html = ROOT / "_build" / "html"  # the published pages, exactly what `make book` leaves
    return pytest("site", ["-n", "2", "--dist", "loadgroup", "tests/test_links.py", "tests/test_site.py"],
                  {"BOOK_HTML": str(html), "BOOK_SOURCE": str(CI_BOOK)})


def report(results: dict[str, tuple[int, float]], total: float) -> None:
    print("\n" + "=" * 72)
    print("Timing report")
    print("=" * 72)
    nb_rows = sorted(junit_times("notebooks"), key=lambda r: -r[1])
    if nb_rows:
        print(f"Notebooks (one execution each, budget {BUDGET_NOTEBOOK_S} s each), slowest first:")
        for name, seconds, outcome in nb_rows:
            flag = "" if seconds <= BUDGET_NOTEBOOK_S else "  OVER BUDGET"
            print(f"  {seconds:7.1f} s  {outcome:7s} {pathlib.Path(name).name}{flag}")
        nb_total = sum(r[1] for r in nb_rows)
        if "notebooks" in results:
            wall = results["notebooks"][1]
            flag = "" if wall <= BUDGET_NOTEBOOKS_TOTAL_S else "  OVER BUDGET"
            print(f"  {nb_total:7.1f} s  of execution in all, {wall:.1f} s of wall time two at a "
                  f"time (budget {BUDGET_NOTEBOOKS_TOTAL_S} s of wall time){flag}")
        else:
            print(f"  {nb_total:7.1f} s  of execution in all (the last notebooks run)")
    unit_rows = junit_times("unit")
    if unit_rows:
        print(f"Unit tests: {len(unit_rows)} tests, {sum(r[1] for r in unit_rows):.1f} s of test time")
    print("Stages:")
    for stage, (code, seconds) in results.items():
        print(f"  {seconds:7.1f} s  {'ok' if code == 0 else 'FAILED':7s} {stage}")
    flag = "" if total <= BUDGET_TEST_S else "  (over the 480 s budget for a warm environment)"
    print(f"  {total:7.1f} s  total{flag}")
    failed = [s for s, (c, _) in results.items() if c != 0]
    print("=" * 72)
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=STAGES, help="run only these stages")
    args = parser.parse_args()
    stages = args.only or list(STAGES)
    results: dict[str, tuple[int, float]] = {}
    start = time.perf_counter()
    for stage in stages:
        needs_notebooks = stage in ("executed", "repro", "book", "site")
        if needs_notebooks and results.get("notebooks", (0, 0))[0] != 0:
            print(f"\n### {stage}: skipped, the notebooks stage failed")
            results[stage] = (1, 0.0)
            continue
        if stage == "site" and results.get("book", (0, 0))[0] != 0:
            print(f"\n### {stage}: skipped, the book stage failed")
            results[stage] = (1, 0.0)
            continue
        print(f"\n### {stage}", flush=True)
        t0 = time.perf_counter()
        code = globals()[f"stage_{stage}"]()
        results[stage] = (code, time.perf_counter() - t0)
    report(results, time.perf_counter() - start)
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
