"""One call from a trained model to pipelined Verilog: read, lower, emit."""

from pathlib import Path

import da_core
import quant
from da_core.lut_pack import check_pack_bits
from da_core.multipliers import DEFAULT_MULTIPLIERS

from .design import DEFAULT_NAME, Design, check_options, emit_program
from .ports import Interface
from .stream_design import StreamDesign, check_stream_options, emit_stream

IOS = ("parallel", "stream")  # compile_model(io=...)


def compile_model(model, out_dir: str | Path, latency_cutoff: int | None = None, overwrite: bool = False,
                  name: str = DEFAULT_NAME, max_depth: int | None = None, *,
                  latency_cutoff_ns: float | None = None, clock_period_ns: float | None = None,
                  combinational: bool = False, reset: bool = False, clock_enable: bool = False,
                  valid: bool = True, multipliers: str = DEFAULT_MULTIPLIERS, io: str = "parallel",
                  pack_bits: int = 0, **emit_options) -> Design:
    """Convert a trained, calibrated HGQ2 model (or a ``quant.Network``) into Verilog (or, with
    ``hdl="vhdl"``, VHDL-2008) in ``out_dir``.

    latency_cutoff: adder levels per pipeline stage (None: DEFAULT_LATENCY_CUTOFF, unless another
    target is given). latency_cutoff_ns: estimated ns of logic per stage; clock_period_ns: a clock
    target (also written to the XDC); combinational: no registers. reset / clock_enable / valid:
    the control ports (see ``rtl_emit.emit_program``, which also takes ``emit_options``).
    max_depth: adder levels allowed in each layer's CMVM (None: about the minimum). multipliers: products
    of two variables as shift-and-add on LUTs ("lut", the default: no DSPs), written as ``*`` for
    DSP48E2s ("dsp"), or ``*`` only where a DSP pays ("auto"); see ``da_core.multipliers``. pack_bits:
    each layer's inputs of at most this many bits summed in LUT6 tables rather than adders
    (``da_core.lut_pack``; 0, the default: off; parallel io only).
    io: "parallel" (every position in its own logic, a sample per clock) or "stream" (``rtl_emit.emit_stream``:
    each repeated kernel built once and fed one position per clock, with valid/ready ports; Verilog only).
    Every option is checked before the model is read and solved.
    """
    if io not in IOS:
        raise ValueError(f"io must be one of {', '.join(map(repr, IOS))}, got {io!r}")
    check_pack_bits(pack_bits)
    if io == "stream":
        if pack_bits:
            raise ValueError("pack_bits applies to io='parallel' only")
        return _compile_stream(model, Path(out_dir), latency_cutoff, overwrite, name, max_depth,
                               latency_cutoff_ns=latency_cutoff_ns, clock_period_ns=clock_period_ns,
                               combinational=combinational, clock_enable=clock_enable, valid=valid,
                               multipliers=multipliers, **emit_options)
    targets = dict(latency_cutoff=latency_cutoff, latency_cutoff_ns=latency_cutoff_ns,
                   clock_period_ns=clock_period_ns, combinational=combinational)
    interface = Interface(reset=reset, clock_enable=clock_enable, valid=valid)
    check_options(Path(out_dir), name, overwrite, interface, emit_options.get("backend", "auto"),
                  multipliers=multipliers, hdl=emit_options.get("hdl", "verilog"),
                  yosys=emit_options.get("yosys", False), ternary_adders=emit_options.get("ternary_adders", False),
                  **targets)
    network = model if isinstance(model, quant.Network) else quant.from_keras(model)
    program = da_core.lower(network, max_depth=max_depth, multipliers=multipliers, pack_bits=pack_bits)
    return emit_program(program, out_dir, name=name, overwrite=overwrite, network=network, reset=reset,
                        clock_enable=clock_enable, valid=valid, **targets, **emit_options)


def _compile_stream(model, out_dir: Path, latency_cutoff, overwrite, name, max_depth, *, latency_cutoff_ns,
                    clock_period_ns, combinational, clock_enable, valid, multipliers, hdl: str = "verilog",
                    backend: str = "auto", ternary_adders: bool = False, **emit_options) -> StreamDesign:
    """``compile_model(io="stream")``: lower to a ``StreamProgram`` (``da_core.lower_stream``) and emit it."""
    check_stream_options(out_dir, name, overwrite, latency_cutoff=latency_cutoff, latency_cutoff_ns=latency_cutoff_ns,
                         clock_period_ns=clock_period_ns, combinational=combinational, hdl=hdl,
                         clock_enable=clock_enable, valid=valid, backend=backend, multipliers=multipliers,
                         ternary_adders=ternary_adders)
    network = model if isinstance(model, quant.Network) else quant.from_keras(model)
    stream = da_core.lower_stream(network, max_depth=max_depth, multipliers=multipliers)
    return emit_stream(stream, out_dir, name=name, latency_cutoff=latency_cutoff, overwrite=overwrite,
                       network=network, latency_cutoff_ns=latency_cutoff_ns, clock_period_ns=clock_period_ns,
                       **emit_options)
