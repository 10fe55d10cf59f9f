"""Sliding windows of convolutions and pools, laid out as Keras lays them out."""

import numpy as np

from .errors import UnsupportedLayerError, where


def window_geometry(in_spatial, window, strides, padding) -> tuple[list[int], np.ndarray]:
    """Output spatial shape and, per output position (C order), the flat input position of each window tap.

    Padding as Keras: 'valid', or 'same' with ``ceil(in / stride)`` outputs and the extra padding after.
    Taps that fall in the padding are -1.
    """
    in_spatial, window, strides = (tuple(int(v) for v in a) for a in (in_spatial, window, strides))
    out, pad = [], []
    for n, k, s in zip(in_spatial, window, strides):
        if padding == "valid":
            out.append((n - k) // s + 1)
            pad.append(0)
        else:
            o = -(-n // s)
            out.append(o)
            pad.append(max((o - 1) * s + k - n, 0) // 2)
    out_pos = np.stack(np.meshgrid(*[np.arange(o) for o in out], indexing="ij"), -1).reshape(-1, len(out))
    taps = np.stack(np.meshgrid(*[np.arange(k) for k in window], indexing="ij"), -1).reshape(-1, len(window))
    coords = out_pos[:, None, :] * np.array(strides) - np.array(pad) + taps[None, :, :]  # (P, K, d)
    inside = np.all((coords >= 0) & (coords < np.array(in_spatial)), axis=2)
    flat = np.ravel_multi_index(tuple(np.clip(coords, 0, np.array(in_spatial) - 1).transpose(2, 0, 1)), in_spatial)
    return out, np.where(inside, flat, -1)


def channels_last(layer) -> None:
    """Refuse a layer whose data_format is not channels_last."""
    if layer.data_format != "channels_last":
        raise UnsupportedLayerError(f"{where(layer)} has data_format={layer.data_format!r}; supported: "
                                    "channels_last")
