package dev.gemma4j.benchmarks;

import dev.gemma4j.backend.cpu.kernels.KernelPool;
import dev.gemma4j.backend.cpu.kernels.MatVec;
import dev.gemma4j.backend.cpu.kernels.WeightMatrix;
import dev.gemma4j.checkpoint.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU backend's streaming matrix product on Gemma-2-2B's MLP shape ([9216, 2304]) with the weights
 * in native memory, as they are when memory-mapped: {@code rows} rows of x per weight read, on all the
 * kernel threads. Bytes read per call: 9216 x 2304 x 2 = 42.5 MB for bf16; divide by the time for GB/s.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar gemma-benchmarks/target/benchmarks.jar MatVecBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatVecBenchmark {
  @Param({"1", "4", "8", "16"})
  public int rows;

  @Param({"BF16"})
  public String dtype;

  @Param({"2"})
  public int threads;

  private Arena arena;
  private WeightMatrix w;
  private float[] x;
  private float[] y;
  private KernelPool pool;
  private final MatVec kernel = MatVec.get();

  @Setup(Level.Trial)
  public void setUp() {
    DType type = DType.valueOf(dtype);
    int out = 9216;
    int in = 2304;
    arena = Arena.ofShared();
    MemorySegment data = arena.allocate((long) out * in * type.bytes(), 64);
    Random random = new Random(1);
    for (long i = 0; i < (long) out * in; i++) {
      float v = (float) random.nextGaussian() * 0.02f;
      switch (type) {
        case F32 -> data.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
        case BF16 -> data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (Float.floatToRawIntBits(v) >>> 16));
        case F16 -> data.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(v));
      }
    }
    w = new WeightMatrix(data, type, out, in);
    x = new float[rows * in];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    y = new float[rows * out];
    pool = new KernelPool(threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.close();
    arena.close();
  }

  @Benchmark
  public float[] multiply() {
    pool.parallelFor(w.rows(), 16, (from, to) -> kernel.multiply(x, rows, w, from, to, y, w.rows()));
    return y;
  }
}
