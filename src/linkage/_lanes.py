"""Popcount intrinsics for the Dice kernels of :mod:`linkage.similarity` (numba, LLVM IR).

``popcnt`` is LLVM ``ctpop`` on one uint64. ``count_lanes`` adds ``popcount(a_word & b)`` for 8
columns of ``b`` at once in an explicit 512-bit vector held in a register, for ``GROUP`` blocks
per loaded word of ``a``; ``lane_blocks`` lays rows out for it. Both are exact integer counts:
on CPUs without AVX-512 VPOPCNTDQ LLVM splits the vectors and the results are the same.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["LANES", "GROUP", "popcnt", "count_lanes", "lane_blocks"]

LANES = 8  # columns counted side by side: one 512-bit vector of uint64
GROUP = 4  # blocks of lanes counted in one pass over the words of a row of ``a`` (one word load, 4 uses)


@intrinsic
def popcnt(typingctx, x):  # type: ignore[no-untyped-def]
    """LLVM ``ctpop`` on a uint64 (one ``popcnt``, or vectorised in loops), as int64."""
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def count_lanes(typingctx, s, k, arow, first, stop, blocks, c):  # type: ignore[no-untyped-def]
    """``s[k + 8g + l] += sum(popcount(arow[w] & blocks[c + g, 8w + l]) for w in range(first, stop))``
    for every block ``g < GROUP`` and lane ``l < 8``; no bounds are checked.

    Each sum stays in one explicit ``<8 x i64>`` vector through the loop over words: one ``vpand``,
    ``vpopcntq`` and ``vpaddq`` on a 512-bit register per word and block where the CPU has AVX-512
    VPOPCNTDQ. LLVM's own vectoriser picks 256-bit vectors on such CPUs and would keep the sums in
    memory; without AVX-512 LLVM splits the vectors (same result, slower).
    """
    sig = types.void(s, k, arow, first, stop, blocks, c)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        s_type, _, arow_type, _, _, blocks_type, _ = signature.args
        sums, k, row, first, stop, lanes, c = args
        vector = ir.VectorType(ir.IntType(64), LANES)
        ctpop = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vector, [vector]),
                                               f"llvm.ctpop.v{LANES}i64")
        row_width = builder.extract_value(context.make_array(blocks_type)(context, builder, lanes).shape, 1)

        def lanes_at(array_type, array, index):  # array.flat[index:index + 8] as a vector pointer
            data = context.make_array(array_type)(context, builder, array).data
            return builder.bitcast(builder.gep(data, [index]), vector.as_pointer())

        def plus(value, constant):
            return builder.add(value, ir.Constant(value.type, constant))

        into = [lanes_at(s_type, sums, plus(k, g * LANES)) for g in range(GROUP)]
        totals = [cgutils.alloca_once_value(builder, builder.load(at, align=8)) for at in into]
        rows = [builder.mul(plus(c, g), row_width) for g in range(GROUP)]
        row_data = context.make_array(arow_type)(context, builder, row).data
        lane_0 = ir.Constant(ir.IntType(32), 0)
        to_all_lanes = ir.Constant(ir.VectorType(ir.IntType(32), LANES), [0] * LANES)
        with cgutils.for_range_slice(builder, first, stop, ir.Constant(first.type, 1)) as (w, _):
            word = builder.load(builder.gep(row_data, [w]))  # arow[w], broadcast to every lane
            word = builder.insert_element(ir.Constant(vector, ir.Undefined), word, lane_0)
            word = builder.shuffle_vector(word, word, to_all_lanes)
            offset = builder.mul(w, ir.Constant(w.type, LANES))
            for total, start in zip(totals, rows):
                column = builder.load(lanes_at(blocks_type, lanes, builder.add(start, offset)), align=8)
                count = builder.call(ctpop, [builder.and_(word, column)])
                builder.store(builder.add(builder.load(total), count), total)
        for total, at in zip(totals, into):
            builder.store(builder.load(total), at, align=8)

    return sig, codegen


def lane_blocks(words: np.ndarray) -> np.ndarray:
    """Rows of ``words`` (rows, n) in blocks of 8 for :func:`count_lanes`: (blocks, n * 8) uint64.

    Block ``c`` holds word ``w`` of rows ``8c .. 8c+7`` at ``8w .. 8w+7``; rows past the end are
    zero, and ``GROUP - 1`` zero blocks follow so that a group starting at any block can be read.
    """
    rows, width = words.shape
    padded = np.zeros(((-(-rows // LANES) + GROUP - 1) * LANES, width), np.uint64)
    padded[:rows] = words
    return padded.reshape(-1, LANES, width).transpose(0, 2, 1).reshape(-1, width * LANES)
