"""The standalone HGQ2 ``Quantizer`` layer."""

from ..hgq_quantizer import read_quantizer
from ..registry import handles


@handles("quantizers", "hgq.quantizer.Quantizer", limits="`scaler` a power of two; no `affine`",
         quantized_io=False, ports="self")
def quantizer(reader, layer, ins: list[str], call) -> str:
    return reader.quantize(layer, "q", read_quantizer(layer, layer), ins[0])
