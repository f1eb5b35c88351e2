package dev.gemma4j.backend.npu;

import dev.gemma4j.WeightQuantization;
import dev.gemma4j.checkpoint.Checkpoint;
import dev.gemma4j.checkpoint.TensorInfo;
import dev.gemma4j.internal.quant.WeightQuantizer;
import dev.gemma4j.spi.LinearSource;
import dev.gemma4j.spi.LinearWeight;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Quantized linear layers on the NPU, loaded once into what {@code aclnnWeightQuantBatchMatmulV2} reads: AWQ
 * checkpoints as published, and float checkpoints quantized at load with the CPU backend's numbers. Float32
 * math cannot use the operator (it takes fp16/bf16 activations), so there the layers are dequantized.
 */
final class NpuQuantizedLayers {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(NpuQuantizedLayers.class);

  private final NpuTensorOps ops;
  private boolean warnedDequantized;

  NpuQuantizedLayers(NpuTensorOps ops) {
    this.ops = ops;
  }

  /** An AWQ layer: 4-bit in bf16 math, dequantized to float32 in float32 math. */
  LinearWeight awq(Checkpoint checkpoint, LinearSource.Awq awq) {
    return ops.activation() == AclDType.FLOAT ? dequantized(checkpoint, awq) : fourBit(checkpoint, awq);
  }

  /**
   * An AWQ layer as 4-bit weights for {@code aclnnWeightQuantBatchMatmulV2}, repacked once here
   * ({@link AwqRepack}); scales and offsets in the activation dtype. A group spanning all inputs is passed
   * per channel (the operator takes groups below k).
   */
  private NpuQuantLinear fourBit(Checkpoint checkpoint, LinearSource.Awq awq) {
    int in = awq.inFeatures();
    int out = awq.outFeatures();
    int groups = in / awq.groupSize();
    int[] packed = ints(checkpoint, awq.qweight());
    for (int i = 0; i < packed.length; i++) {
      packed[i] = AwqRepack.signedInColumnOrder(packed[i]);
    }
    NpuTensor words = ops.allocate(AclDType.INT32, in, out / 8);
    try (Arena arena = Arena.ofConfined()) {
      ops.upload(words, arena.allocateFrom(ValueLayout.JAVA_INT, packed));
    }
    NpuTensor weight = new NpuTensor(words.address(), (long) in * out, AclDType.INT4, new long[] {in, out}, new long[] {out, 1}, 0);
    int[] zeros = ints(checkpoint, awq.qzeros());
    float[] offsets = new float[groups * out];
    for (int g = 0; g < groups; g++) {
      for (int c = 0; c < out; c++) {
        offsets[g * out + c] = 8 - AwqRepack.unsignedAt(zeros[g * (out / 8) + c / 8], c % 8);
      }
    }
    NpuTensor scale = ops.uploadAs(checkpoint, awq.scales(), ops.activation());
    NpuTensor offset = ops.fromHost(offsets, groups, out);
    ops.addWeightBytes((long) in * out / 2 + (long) groups * out * ops.activation().bytes());
    boolean perChannel = groups == 1;
    return new NpuQuantLinear(weight, perChannel ? scale.reshape(out) : scale, perChannel ? offset.reshape(out) : offset,
        perChannel ? 0 : awq.groupSize());
  }

  /**
   * A float layer quantized here with {@link WeightQuantizer}'s numbers (the CPU backend's too): int8 per
   * output, or int4 per group in the layout of {@link #fourBit}. Float32 math dequantizes the levels
   * back to float32, so it computes with exactly the quantized weights.
   */
  LinearWeight quantizeAtLoad(Checkpoint checkpoint, LinearSource.QuantizeAtLoad source) {
    int out = source.outFeatures();
    int in = source.inFeatures();
    float[] w = NpuTensorOps.floats(checkpoint, source.weight()); // [out, in]
    boolean int8 = source.to() == WeightQuantization.INT8;
    int group = int8 ? in : source.groupSize();
    int groups = in / group;
    float[] scales = new float[groups * out];
    float[] offsets = new float[groups * out];
    float[] dequantized = ops.activation() == AclDType.FLOAT ? new float[out * in] : null;
    byte[] int8Levels = int8 ? new byte[in * out] : null; // [in, out]
    int[] words = int8 ? null : new int[in * (out / 8)]; // [in, out / 8], column order, signed
    for (int o = 0; o < out; o++) {
      WeightQuantizer.requireFinite(w, o * in, in, source.weight().name(), o);
      for (int g = 0; g < groups; g++) {
        WeightQuantizer.Int4Group params = int8 ? null : WeightQuantizer.int4Group(w, o * in + g * group, group);
        float scale = int8 ? WeightQuantizer.int8Scale(w, o * in, in) : params.scale();
        int zero = int8 ? 0 : params.zero();
        scales[g * out + o] = scale;
        offsets[g * out + o] = 8 - zero;
        for (int i = g * group; i < (g + 1) * group; i++) {
          float value = w[o * in + i];
          int level = int8 ? WeightQuantizer.int8(value, scale) : params.level(value);
          if (dequantized != null) {
            dequantized[o * in + i] = (level - zero) * scale;
          } else if (int8) {
            int8Levels[i * out + o] = (byte) level;
          } else {
            words[i * (out / 8) + o / 8] |= ((level - 8) & 0xF) << (4 * (o % 8));
          }
        }
      }
    }
    if (dequantized != null) {
      ops.addWeightBytes(4L * out * in);
      return new NpuLinear(ops.uploadFloats(dequantized, out, in));
    }
    NpuTensor scale = ops.fromHost(scales, groups, out);
    ops.addWeightBytes((long) groups * out * ops.activation().bytes() * (int8 ? 1 : 2));
    if (int8) {
      NpuTensor weight = ops.allocate(AclDType.INT8, in, out);
      try (Arena arena = Arena.ofConfined()) {
        ops.upload(weight, arena.allocateFrom(ValueLayout.JAVA_BYTE, int8Levels));
      }
      ops.addWeightBytes((long) in * out);
      return new NpuQuantLinear(weight, scale.reshape(out), null, 0);
    }
    NpuTensor packed = ops.allocate(AclDType.INT32, in, out / 8);
    try (Arena arena = Arena.ofConfined()) {
      ops.upload(packed, arena.allocateFrom(ValueLayout.JAVA_INT, words));
    }
    ops.addWeightBytes((long) in * out / 2);
    NpuTensor weight = new NpuTensor(packed.address(), (long) in * out, AclDType.INT4, new long[] {in, out}, new long[] {out, 1}, 0);
    NpuTensor offset = ops.fromHost(offsets, groups, out);
    return groups == 1
        ? new NpuQuantLinear(weight, scale.reshape(out), offset.reshape(out), 0)
        : new NpuQuantLinear(weight, scale, offset, group);
  }

  /**
   * Float32 math (verification) cannot use the 4-bit operator, which takes only fp16/bf16 activations: the
   * layer is dequantized once to float32, {@code W = (q - z) * s} as the reference computes it, at 8 times
   * the 4-bit memory. Logged once per model.
   */
  private NpuLinear dequantized(Checkpoint checkpoint, LinearSource.Awq awq) {
    if (!warnedDequantized) {
      warnedDequantized = true;
      LOG.warn("{} is AWQ 4-bit: float32 math on the NPU dequantizes its layers to float32 (8x the 4-bit memory);"
          + " the default bf16 math runs them as 4-bit weights", checkpoint.folder());
    }
    int in = awq.inFeatures();
    int out = awq.outFeatures();
    int[] packed = ints(checkpoint, awq.qweight());
    int[] zeros = ints(checkpoint, awq.qzeros());
    float[] scales = NpuTensorOps.floats(checkpoint, awq.scales());
    float[] transposed = new float[in * out]; // [out, in], as a dense linear layer is stored
    for (int i = 0; i < in; i++) {
      int g = i / awq.groupSize();
      for (int c = 0; c < out; c++) {
        int q = AwqRepack.unsignedAt(packed[i * (out / 8) + c / 8], c % 8);
        int z = AwqRepack.unsignedAt(zeros[g * (out / 8) + c / 8], c % 8);
        transposed[c * in + i] = (q - z) * scales[g * out + c];
      }
    }
    ops.addWeightBytes(4L * in * out);
    return new NpuLinear(ops.uploadFloats(transposed, out, in));
  }

  private static int[] ints(Checkpoint checkpoint, TensorInfo tensor) {
    return checkpoint.segment(tensor, 0, tensor.byteLength()).toArray(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
  }

}
