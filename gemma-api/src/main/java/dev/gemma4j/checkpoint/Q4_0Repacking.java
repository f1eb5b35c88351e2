package dev.gemma4j.checkpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Q4_0 linear layer as the AutoAWQ GEMM tensors it equals exactly. A Q4_0 block is 32 inputs of one
 * output with a float16 scale {@code d} and levels {@code q} in [0, 15] standing for {@code (q - 8) * d};
 * AWQ's group of 32 with scale {@code d} and zero point 8 stands for the same values. {@code qweight}
 * {@code [in, out / 8]} packs eight outputs per int32, nibble {@code k} holding output {@code 8j + ORDER[k]};
 * {@code qzeros} {@code [in / 32, out / 8]} likewise (all 8); {@code scales} {@code [in / 32, out]} float16.
 */
final class Q4_0Repacking {
  static final int GROUP = 32;
  /** AutoAWQ's order of outputs within a packed int32. */
  private static final int[] ORDER = {0, 2, 4, 6, 1, 3, 5, 7};
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private Q4_0Repacking() {}

  /** Adds {@code layer.qweight}, {@code .qzeros} and {@code .scales} of a Q4_0 tensor to {@code tensors}. */
  static void toAwq(GgufFile file, GgufFile.Tensor t, String layer, Path path, Arena arena,
      Map<String, TensorInfo> tensors, Map<String, MemorySegment> data) {
    int in = Math.toIntExact(t.dims().get(0));
    int out = Math.toIntExact(t.dims().get(1));
    int groups = in / GROUP;
    int packed = out / 8;
    MemorySegment blocks = file.segment(t.offset(), t.byteLength());
    MemorySegment qweight = arena.allocate(4L * in * packed, 64);
    MemorySegment qzeros = arena.allocate(4L * groups * packed, 64);
    MemorySegment scales = arena.allocate(2L * groups * out, 64);
    qzeros.fill((byte) 0x88); // every zero point is 8
    java.util.stream.IntStream.range(0, packed).parallel().forEach(j -> {
      for (int k = 0; k < 8; k++) {
        int o = 8 * j + ORDER[k];
        for (int g = 0; g < groups; g++) {
          long block = ((long) o * groups + g) * GgufType.Q4_0.blockBytes();
          scales.set(SHORT, 2L * ((long) g * out + o), blocks.get(SHORT, block));
          for (int b = 0; b < 16; b++) {
            int q = blocks.get(ValueLayout.JAVA_BYTE, block + 2 + b) & 0xff;
            orNibble(qweight, g * GROUP + b, j, packed, k, q & 0xF);
            orNibble(qweight, g * GROUP + b + 16, j, packed, k, q >> 4);
          }
        }
      }
    });
    add(tensors, data, layer + ".qweight", DType.I32, List.of((long) in, (long) packed), path, qweight);
    add(tensors, data, layer + ".qzeros", DType.I32, List.of((long) groups, (long) packed), path, qzeros);
    add(tensors, data, layer + ".scales", DType.F16, List.of((long) groups, (long) out), path, scales);
  }

  /** Sets nibble {@code k} of word {@code [row, j]}; each word is written by one thread only (its column). */
  private static void orNibble(MemorySegment qweight, int row, int j, int packed, int k, int level) {
    long at = 4L * ((long) row * packed + j);
    qweight.set(INT, at, qweight.get(INT, at) | level << (4 * k));
  }

  private static void add(Map<String, TensorInfo> tensors, Map<String, MemorySegment> data, String name, DType dtype,
      List<Long> shape, Path path, MemorySegment segment) {
    tensors.put(name, new TensorInfo(name, dtype, shape, path, 0, segment.byteSize()));
    data.put(name, segment);
  }
}
