"""Exact value sets of fixed-point signals: integer codes lo..hi scaled by 2**exp."""

from dataclasses import dataclass
from fractions import Fraction

from .cost import bit_width


@dataclass(frozen=True)
class Interval:
    """Every value ``code * 2**exp`` with integer ``lo <= code <= hi``.

    Signedness and bit width follow from the codes, so no width is ever guessed.
    """

    lo: int
    hi: int
    exp: int

    def __post_init__(self):
        if self.lo > self.hi:
            raise ValueError(f"empty interval: lo={self.lo} > hi={self.hi}")

    @classmethod
    def from_kif(cls, k: int, i: int, f: int) -> "Interval":
        """The codes of HGQ2's format (keep-negative k, integer bits i, fractional bits f)."""
        i = max(i, -f)  # as HGQ2 does before quantizing
        if k + i + f <= 0:
            return cls(0, 0, -f)
        return cls(-k * (1 << (i + f)), (1 << (i + f)) - 1, -f)

    @classmethod
    def from_bounds(cls, lo: float, hi: float, step: float) -> "Interval":
        """From real bounds and a power-of-two step, e.g. ``(-128, 127, 1)``."""
        step = Fraction(step)
        exp = step.numerator.bit_length() - 1 if step >= 1 else -(step.denominator.bit_length() - 1)
        if step <= 0 or Fraction(2) ** exp != step:
            raise ValueError(f"step must be a power of two, got {step}")
        lo_code, hi_code = Fraction(lo) / step, Fraction(hi) / step
        if lo_code.denominator != 1 or hi_code.denominator != 1:
            raise ValueError(f"bounds {lo}, {hi} are not multiples of the step {step}")
        return cls(int(lo_code), int(hi_code), exp)

    @property
    def signed(self) -> bool:
        return self.lo < 0

    @property
    def width(self) -> int:
        """Bits of the two's complement code (0 for the constant zero)."""
        return bit_width(self.lo, self.hi)

    @property
    def frac_bits(self) -> int:
        return -self.exp

    @property
    def int_bits(self) -> int:
        """Integer bits, sign bit excluded, so that width = signed + int_bits + frac_bits."""
        return self.width - int(self.signed) + self.exp

    def __str__(self) -> str:
        return f"[{self.lo}..{self.hi}]*2^{self.exp}"
