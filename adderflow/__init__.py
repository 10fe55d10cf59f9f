"""The application shell: the `adderflow` command line, the demo, and sweeps over many models.

Importing it selects Keras's JAX backend (unless KERAS_BACKEND is already set): every
entry point (``python -m adderflow``, the console script, the sweep's workers) goes
through here before Keras is imported.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
