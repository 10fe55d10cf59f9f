"""The C++ both Verilator harnesses start with: headers, and moving packed bus words in and out of Verilated ports."""

PRELUDE = r"""#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include "V@NAME@.h"
#include "V@NAME@___024root.h"
#include "verilated.h"

template <class T> static void put(T& port, const uint8_t* src, size_t n) {
    uint64_t v = 0; std::memcpy(&v, src, n); port = static_cast<T>(v);
}
template <std::size_t W> static void put(VlWide<W>& port, const uint8_t* src, size_t n) {
    EData w[W] = {0}; std::memcpy(w, src, n); for (std::size_t i = 0; i < W; ++i) port[i] = w[i];
}
template <class T> static void get(const T& port, uint8_t* dst, size_t n) {
    uint64_t v = static_cast<uint64_t>(port); std::memcpy(dst, &v, n);
}
template <std::size_t W> static void get(const VlWide<W>& port, uint8_t* dst, size_t n) {
    EData w[W]; for (std::size_t i = 0; i < W; ++i) w[i] = port[i]; std::memcpy(dst, w, n);
}
"""


def prelude(name: str) -> str:
    """The start of a harness around the Verilated module ``name``."""
    return PRELUDE.replace("@NAME@", name)
