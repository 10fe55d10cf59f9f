"""Max and power-of-two average pooling, over windows or globally."""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..geometry import channels_last, window_geometry
from ..network import Pool
from ..registry import handles

_POOLS = [f"hgq.layers.Q{kind}Pool{d}D" for kind in ("Max", "Avg") for d in (1, 2, 3)]
_GLOBAL_POOLS = [f"hgq.layers.QGlobal{kind}Pool{d}D" for kind in ("Max", "Avg") for d in (1, 2, 3)]
_AVERAGE_LIMIT = "averages: every window must hold the same power-of-two number of elements"


@handles("pooling", *_POOLS, limits=f"`channels_last`; {_AVERAGE_LIMIT}")
def pool(reader, layer, x: str, call) -> str:
    channels_last(layer)
    shape = reader.shapes[x]
    out_spatial, taps = window_geometry(shape[:-1], layer.pool_size, layer.strides, layer.padding)
    c = shape[-1]
    windows = np.where(taps[:, None, :] >= 0, taps[:, None, :] * c + np.arange(c)[None, :, None], -1)
    out_shape = tuple(out_spatial) + (c,)
    return reader.add(layer, "pool", _pool_op(layer, windows.reshape(-1, taps.shape[1]), out_shape), [x], out_shape)


@handles("pooling", *_GLOBAL_POOLS, limits=f"`channels_last`; {_AVERAGE_LIMIT}")
def global_pool(reader, layer, x: str, call) -> str:
    channels_last(layer)
    shape = reader.shapes[x]
    c, n = shape[-1], int(np.prod(shape[:-1]))
    windows = np.arange(n)[None, :] * c + np.arange(c)[:, None]  # (C, n)
    out_shape = (1,) * (len(shape) - 1) + (c,) if layer.keepdims else (c,)
    return reader.add(layer, "pool", _pool_op(layer, windows, out_shape), [x], out_shape)


def _pool_op(layer, windows: np.ndarray, out_shape) -> Pool:
    if "Max" in type(layer).__name__:
        return Pool("max", windows, 0, out_shape)
    counts = np.unique((windows >= 0).sum(axis=1))
    if len(counts) != 1 or counts[0] & (counts[0] - 1):
        raise UnsupportedLayerError(
            f"{where(layer)} averages windows of {sorted(counts.tolist())} elements; averaging is exact only "
            "when every window holds the same power-of-two number of elements (e.g. pool_size 2 or 4, "
            "padding 'valid' that tiles the input)")
    return Pool("sum", windows, -int(counts[0]).bit_length() + 1, out_shape)
