"""The README's Python block runs as written, on a tiny trained HGQ2 model."""

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


class _Client:
    """What the block uses of a Dask client: an Executor."""

    def __init__(self, executor):
        self.executor = executor

    def get_executor(self):
        return self.executor


def _tiny_model(x, y):
    import keras
    from hgq.layers import QDense
    from hgq.utils import trace_minmax

    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, QDense(2)(QDense(3, activation="relu")(inputs)))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    trace_minmax(model, x)  # the saved copy in ``paths`` must be calibrated too
    return model


def test_the_readme_python_block_runs_as_written(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert len(blocks) == 1
    rng = np.random.default_rng(0)
    x_train = (rng.integers(-16, 16, size=(64, 4)) / 8).astype(np.float32)
    y = (x_train.sum(axis=1) > 0).astype(np.int64)
    model = _tiny_model(x_train, y)
    monkeypatch.chdir(tmp_path)
    model.save(tmp_path / "tiny.keras")
    W = np.array([[3, -5], [7, 0], [1, 12]])
    with ThreadPoolExecutor(2) as pool:
        names = dict(model=model, x_train=x_train, x=x_train, y=y, W=W, matrices=[W, W.T], pool=pool,
                     paths=[tmp_path / "tiny.keras"], client=_Client(pool))
        exec(compile(blocks[0], str(README), "exec"), names)
    design = names["design"]
    assert design.verilog_path.resolve() == tmp_path / "out" / "adderflow_top.v" and design.verilog_path.is_file()
    assert np.array_equal(names["rtl"].predict(x_train), names["net"].predict(x_train))
    assert (tmp_path / "designs" / "tiny_lcdefault" / "adderflow_top.v").is_file()
