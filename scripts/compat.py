"""Run every notebook against another TensorFlow: `make compat TF=2.19`.

    make compat TF=2.19 PINS="keras==3.10.0 numpy==2.0.2"   # Colab's stack, pinned exactly

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

ROOT = pathlib.Path(__file__).resolve().parents[1]
# What the notebooks and nbmake need besides TensorFlow (Keras comes with TensorFlow).
PACKAGES = ["matplotlib", "scikit-learn", "ipykernel", "nbmake", "pytest"]


def main() -> int:
    if len(sys.argv) < 2 or not re.fullmatch(r"\d+\.\d+(\.\d+)?", sys.argv[1]):
        print('usage: python scripts/compat.py 2.19 [keras==3.10.0 numpy==2.0.2 ...]')
        return 2
    version, pins = sys.argv[1], sys.argv[2:]
    spec = f"tensorflow-cpu=={version}" if version.count(".") == 2 else f"tensorflow-cpu=={version}.*"
    venv = ROOT / f".venv-tf{version}"
    py = venv / "bin" / "python"
    stamp = venv / ".installed"
    wanted = " ".join([spec, *pins, *PACKAGES])
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        subprocess.check_call([sys.executable, "-m", "venv", "--clear", str(venv)])
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", spec, *pins, *PACKAGES])
        subprocess.check_call([py, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                               "-e", str(ROOT)])
        stamp.write_text(wanted)
    versions = subprocess.run(
        [py, "-c", "import tensorflow as tf, keras, numpy; print(tf.__version__, keras.__version__, numpy.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    print(f"TensorFlow {versions[0]}, Keras {versions[1]}, NumPy {versions[2]}")
    toc = (ROOT / "_toc.yml").read_text()
    entries = re.findall(r"^\s*-\s*file:\s*(\S+)\s*$", toc, flags=re.M)
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
    print(f"compat: TensorFlow {versions[0]} / Keras {versions[1]} / NumPy {versions[2]}: {verdict} "
          f"({len(notebooks)} notebooks, {time.perf_counter() - start:.0f} s)")
    return code


if __name__ == "__main__":
    sys.exit(main())
