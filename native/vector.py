"""Hand-written LLVM vector code for the hot loops numba's auto-vectoriser gets wrong or leaves out.

Both halves of a bilinear sample (`native.compose`) live here.

The vertical half blends two source rows, vert = top * (2048 - wy) + bottom * wy, over every
source column a canvas row needs. numba types integer arithmetic as int64, so LLVM widened the
bytes to 64-bit lanes and used 64-bit multiplies; `lerp_rows_16` does 16 columns in 32-bit lanes.

The horizontal half of a bilinear sample gathers two taps per output pixel at irregular source
columns, so LLVM leaves it scalar: three channels, each a load pair, subtract, multiply, shift
and a byte store, about 2 ns a pixel. Written as vectors instead, two pixels take one 8-lane
multiply: each pixel's taps are loaded as 4 consecutive int32 (R, G, B and the next column's R,
a spare lane), and the 8 results are narrowed to bytes and stored in two 4-byte stores. About
2.5x faster on the camera tiles of the immersive scene.

Each has a plain-Python twin for NUMBA_DISABLE_JIT (the debugging path).
"""

import numpy as np
from llvmlite import ir
from numba import config, types
from numba.extending import intrinsic

I8, I32 = ir.IntType(8), ir.IntType(32)


def _pointer(context, builder, array_type, array, index, pointee):
    """&array[index] as a pointer to `pointee` (no bounds check: callers keep indices valid)."""
    data = context.make_array(array_type)(context, builder, array).data
    return builder.bitcast(builder.gep(data, [index]), pointee.as_pointer())


def _splat(value, lanes):
    return ir.Constant(ir.VectorType(I32, lanes), [ir.Constant(I32, value)] * lanes)


def _lanes(*indices):
    return ir.Constant(ir.VectorType(I32, len(indices)), [ir.Constant(I32, i) for i in indices])


def _as_i32(builder, value):
    if value.type.width > 32:
        return builder.trunc(value, I32)
    return builder.sext(value, I32) if value.type.width < 32 else value


def _contiguous(array_type) -> bool:
    """The intrinsics address elements as data + index: 1-D arrays with unit stride only."""
    return isinstance(array_type, types.Array) and array_type.ndim == 1 and array_type.layout == "C"


ROW_LANES = 16     # source samples per `lerp_rows_16` call


@intrinsic
def lerp_rows_16(typingctx, vert, top, bottom, at, top_weight, bottom_weight):
    """vert[at:at + 16] = top[at:at + 16] * top_weight + bottom[at:at + 16] * bottom_weight, in
    32-bit lanes (uint8 rows, int32 `vert`; the weights are 11-bit, so nothing overflows).
    The caller keeps at + 16 inside all three arrays."""
    if not all(_contiguous(a) for a in (vert, top, bottom)):
        return None

    def codegen(context, builder, signature, args):
        vert_, top_, bottom_, at_, top_weight_, bottom_weight_ = args
        bytes16, words16 = ir.VectorType(I8, ROW_LANES), ir.VectorType(I32, ROW_LANES)

        def row(array_type, array, weight):
            pixels = builder.load(_pointer(context, builder, array_type, array, at_, bytes16),
                                  align=1)
            splat = builder.insert_element(ir.Constant(words16, ir.Undefined),
                                           _as_i32(builder, weight), ir.Constant(I32, 0))
            splat = builder.shuffle_vector(splat, splat, _lanes(*[0] * ROW_LANES))
            return builder.mul(builder.zext(pixels, words16), splat)

        total = builder.add(row(signature.args[1], top_, top_weight_),
                            row(signature.args[2], bottom_, bottom_weight_))
        builder.store(total, _pointer(context, builder, signature.args[0], vert_, at_, words16),
                      align=4)
        return context.get_dummy_value()

    return types.void(vert, top, bottom, at, top_weight, bottom_weight), codegen


@intrinsic
def lerp_rgb_pair(typingctx, dst, at, vert, first0, first1, weight0, weight1):
    """Pixels k and k+1 of a scaled RGB row into dst[at:at + 6], from `vert` (int32 samples of the
    vertical pass, 11-bit fixed point): channel c of a pixel whose taps start at element j is
    round((vert[j + c] * (2048 - w) + vert[j + 3 + c] * w) / 2**22), exactly as the scalar loop.

    Also writes one spare byte at dst[at + 6] (the next pixel's first byte: the caller draws
    it afterwards) and reads vert[j .. j + 6]: the caller keeps both inside the arrays."""
    if not (_contiguous(dst) and _contiguous(vert)):
        return None

    def codegen(context, builder, signature, args):
        from native.compose import ROUND_2D, WEIGHT_BITS   # one fixed-point format, defined there
        dst_, at_, vert_, first0_, first1_, weight0_, weight1_ = args
        vert_type = signature.args[2]
        quad = ir.VectorType(I32, 4)

        def taps(first, offset):
            index = builder.add(first, ir.Constant(first.type, offset))
            return builder.load(_pointer(context, builder, vert_type, vert_, index, quad), align=4)

        left = builder.shuffle_vector(taps(first0_, 0), taps(first1_, 0), _lanes(*range(8)))
        right = builder.shuffle_vector(taps(first0_, 3), taps(first1_, 3), _lanes(*range(8)))
        weights = ir.Constant(ir.VectorType(I32, 8), ir.Undefined)
        for lane in range(8):
            weights = builder.insert_element(
                weights, _as_i32(builder, weight0_ if lane < 4 else weight1_), ir.Constant(I32, lane))
        # left * 2048 + (right - left) * w == left * (2048 - w) + right * w, one multiply fewer
        total = builder.add(builder.shl(left, _splat(WEIGHT_BITS, 8)),
                            builder.mul(builder.sub(right, left), weights))
        total = builder.lshr(builder.add(total, _splat(ROUND_2D, 8)), _splat(2 * WEIGHT_BITS, 8))
        narrow = builder.trunc(total, ir.VectorType(I8, 8))
        word = ir.VectorType(I8, 4)
        first_word = builder.shuffle_vector(narrow, narrow, _lanes(0, 1, 2, 4))     # R G B | R'
        second_word = builder.shuffle_vector(narrow, narrow, _lanes(5, 6, 7, 7))    # G' B' | spare
        dst_type = signature.args[0]
        builder.store(first_word, _pointer(context, builder, dst_type, dst_, at_, word), align=1)
        second_at = builder.add(at_, ir.Constant(at_.type, 4))
        builder.store(second_word, _pointer(context, builder, dst_type, dst_, second_at, word),
                      align=1)
        return context.get_dummy_value()

    return types.void(dst, at, vert, first0, first1, weight0, weight1), codegen


if config.DISABLE_JIT:
    def lerp_rows_16(vert, top, bottom, at, top_weight, bottom_weight):   # noqa: F811
        for i in range(at, at + ROW_LANES):
            vert[i] = int(top[i]) * top_weight + int(bottom[i]) * bottom_weight

    def lerp_rgb_pair(dst, at, vert, first0, first1, weight0, weight1):   # noqa: F811
        from native.compose import ROUND_2D, WEIGHT_BITS
        for pixel, (first, weight) in enumerate(((first0, weight0), (first1, weight1))):
            for c in range(3):
                left = np.int64(vert[first + c])
                value = (left << WEIGHT_BITS) + (np.int64(vert[first + 3 + c]) - left) * weight
                dst[at + 3 * pixel + c] = (value + ROUND_2D) >> (2 * WEIGHT_BITS)
