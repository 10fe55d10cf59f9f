"""ReLUs folded into the three-input adders that read them (``ternary_adders=True``).

A ReLU ``s < 0 ? 0 : s`` costs a LUT per bit. Where its only reader, in its own stage, is a term of an adder
on LUT6_2 cells (``rtl_emit.ternary``), directly or through quantizers read once, that adder's LUTs can zero
the term themselves from the sign bit of ``s``, on an input they leave free: a three-input adder's LUT reads
x, y, z and the majority from the bit below (I0-I3), so I4 zeroes one term; a two-input one leaves I2 free
too, so both its terms can be zeroed. The ReLU is then written as the low bits of ``s`` (wiring), the
quantizers after it as before, and the term stays exact: where ``s >= 0`` it is the term itself, and where
``s < 0`` the adder reads 0, which is what the chain gives for a ReLU of 0 (every quantizer maps 0 to 0).
"""

from collections import Counter
from dataclasses import dataclass

from .netlist import Tap, Wire


@dataclass(frozen=True)
class Gate:
    """Zeroes an adder term where ``sign`` (bit ``bit`` of a wire) is 1: the ReLU ``relu``, written ungated."""

    relu: int  # the ReLU's value id (its wire's root)
    sign: Tap  # the ReLU's operand, as read in the ReLU's (and the adder's) stage
    bit: int  # that operand's sign bit
    gain: int  # LUTs saved: the ReLU's


def relu_gates(wires: list[Wire], uses: Counter) -> dict[int, Gate]:
    """Per value that an add may read as a gated term (its wire's root): the ReLU it carries.

    The ReLU and every quantizer between it and the add are read once, unregistered, in the add's stage.
    """
    reader: dict[int, tuple[Wire, int]] = {}
    for w in wires:
        for a in w.args:
            if isinstance(a, Tap):
                reader[a.root] = (w, a.k)
    gates: dict[int, Gate] = {}
    for w in wires:
        if w.op.kind != "relu" or not isinstance(w.args[0], Tap) or not w.arg_intervals[0].signed:
            continue
        gate = Gate(w.chain[0].root, w.args[0], w.arg_intervals[0].width - 1, w.op.cost)
        link = w
        while uses[link.chain[0].root] == 1 and len(link.chain) == 1 and link.chain[0].root in reader:
            nxt, k = reader[link.chain[0].root]
            if k:
                break
            if nxt.op.kind == "add":
                gates[link.chain[0].root] = gate
                break
            if nxt.op.kind != "quant":
                break
            link = nxt
    return gates
