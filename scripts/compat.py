"""Run every notebook against another TensorFlow: `make compat TF=2.19`.

    make compat TF=2.19 PINS="keras==3.10.0 numpy==2.0.2"
    make compat PYTHON=python3.13 TF=2.20.0 PINS="keras==3.13.2 numpy==2.1.3"   # Colab's stack

Creates a side environment `.venv-tf<VERSION>` with `tensorflow-cpu==<VERSION>.*` and the
few packages the notebooks import (left to pip to resolve against that TensorFlow, the way
Colab's preinstalled stack differs from ours), installs `helpers` from this checkout without
its dependencies, and executes every notebook listed in _toc.yml with nbmake on a throwaway
copy. Prints one line per notebook and a summary line for the README's table.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
# What the notebooks and nbmake need besides TensorFlow (Keras comes with TensorFlow).
PACKAGES = ["matplotlib", "scikit-learn", "ipykernel", "nbmake", "pytest", "pytest-xdist", "setuptools"]


def main() -> int:
    args = sys.argv[1:]
    python = sys.executable
    if args[:1] == ["--python"] and len(args) >= 2:
        python, args = shutil.which(args[1]) or args[1], args[2:]
    if not args or not re.fullmatch(r"\d+\.\d+(\.\d+)?", args[0]):
        print('usage: python scripts/compat.py [--python python3.13] 2.19 [keras==3.10.0 numpy==2.0.2 ...]')
        return 2
    version, pins = args[0], args[1:]
    spec = f"tensorflow-cpu=={version}" if version.count(".") == 2 else f"tensorflow-cpu=={version}.*"
    py_version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                capture_output=True, text=True, check=True).stdout.strip()
    venv = ROOT / f".venv-py{py_version}-tf{version}"
    py = venv / "bin" / "python"
    stamp = venv / ".installed"
    wanted = " ".join([spec, *pins, *PACKAGES])
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        subprocess.check_call([python, "-m", "venv", "--clear", str(venv)])
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", spec, *pins, *PACKAGES])
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                               "-e", str(ROOT)])
        stamp.write_text(wanted)
    versions = subprocess.run(
        [py, "-c", "import sys, tensorflow as tf, keras, numpy; "
         "print(tf.__version__, keras.__version__, numpy.__version__, sys.version.split()[0])"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    print(f"Python {versions[3]}, TensorFlow {versions[0]}, Keras {versions[1]}, NumPy {versions[2]}")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    with tempfile.TemporaryDirectory() as tmp:
        copy = pathlib.Path(tmp) / "chapters"
        shutil.copytree(ROOT / "chapters", copy)
        notebooks = [str(copy / f"{pathlib.Path(e).name}.ipynb") for e in entries if (ROOT / f"{e}.ipynb").exists()]
        start = time.perf_counter()
        code = subprocess.call(
            [py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "testpaths=", "--nbmake",
             "--nbmake-timeout=300", *notebooks],
            cwd=tmp, env={"TF_CPP_MIN_LOG_LEVEL": "2", "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
                          "HOME": str(pathlib.Path.home()),
                          "PYTHONPATH": str(ROOT / "scripts" / "offline")},
        )
    verdict = "pass" if code == 0 else "FAIL"
    print(f"compat: Python {versions[3]} / TensorFlow {versions[0]} / Keras {versions[1]} / "
          f"NumPy {versions[2]}: {verdict} "
          f"({len(notebooks)} notebooks, {time.perf_counter() - start:.0f} s)")
    return code


if __name__ == "__main__":
    sys.exit(main())
