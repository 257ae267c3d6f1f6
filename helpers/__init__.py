"""Helpers for the course "From Tensors to MNIST".

Small and boring on purpose: data loading (:mod:`helpers.data`), figures
(:mod:`helpers.plotting`), gradient checks (:mod:`helpers.gradcheck`), exercise checks
(:mod:`helpers.checks`), and code that one chapter builds and later chapters reuse.
Submodules are imported explicitly (``from helpers import data``) so that importing
``helpers`` itself is instant and does not start TensorFlow.
"""

__version__ = "0.1.0"
#: The repository the course lives in; the Colab setup cell installs helpers from here.
REPOSITORY_URL = "https://github.com/tensors-to-mnist/tensors-to-mnist"
