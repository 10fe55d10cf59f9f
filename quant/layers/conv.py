"""Convolutions, fully unrolled: every output position reuses one solved kernel."""

import numpy as np

from ..errors import UnsupportedLayerError, where
from ..geometry import window_geometry
from ..network import Linear
from ..registry import handles
from .activation import check_activation, post_activation


@handles("convolution", "hgq.layers.QConv1D", "hgq.layers.QConv2D", "hgq.layers.QConv3D",
         limits="`channels_last`, `groups=1`, dilation 1, padding 'valid' or 'same', any strides")
def conv(reader, layer, x: str, call) -> str:
    check_activation(layer)
    op = conv_linear(layer, reader.shapes[x])
    return post_activation(reader, layer, reader.add(layer, "conv", op, [x], op.out_shape))


def conv_linear(layer, in_shape: tuple[int, ...], data_format: str = "channels_last") -> Linear:
    """A convolution layer on a channels-last input of ``in_shape`` as a ``Linear`` (one kernel, every position);
    ``data_format`` is the one the caller has turned into channels-last."""
    if layer.data_format != data_format or layer.groups != 1 or any(d != 1 for d in layer.dilation_rate) \
            or layer.padding not in ("valid", "same"):
        raise UnsupportedLayerError(
            f"{where(layer)} has data_format={layer.data_format!r}, groups={layer.groups}, dilation_rate="
            f"{layer.dilation_rate}, padding={layer.padding!r}; supported: channels_last, groups=1, dilation 1, "
            "padding 'valid' or 'same', any strides")
    kernel = np.asarray(layer.qkernel, dtype=np.float64)
    out_spatial, taps = window_geometry(in_shape[:-1], kernel.shape[:-2], layer.strides, layer.padding)
    c_in, c_out = in_shape[-1], kernel.shape[-1]
    # taps: (P, K) flat spatial input index per kernel offset, -1 = padding; patch order = (offset, channel)
    patches = np.where(taps[:, :, None] >= 0, taps[:, :, None] * c_in + np.arange(c_in), -1).reshape(len(taps), -1)
    n_pos = len(taps)
    bias = None if layer.bias is None else np.broadcast_to(np.asarray(layer.qbias, np.float64), (n_pos, c_out))
    out_index = np.arange(n_pos * c_out).reshape(n_pos, c_out)
    return Linear(patches, kernel.reshape(-1, c_out), bias, out_index, tuple(out_spatial) + (c_out,))
