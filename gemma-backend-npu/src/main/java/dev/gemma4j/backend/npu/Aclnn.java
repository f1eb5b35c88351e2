package dev.gemma4j.backend.npu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * CANN's two-phase operators: {@code aclnnXxxGetWorkspaceSize(<args>, &workspaceSize, &executor)}, then
 * {@code aclnnXxx(workspace, workspaceSize, executor, stream)}. Arguments are given as Java values:
 * {@link NpuTensor} becomes an {@code aclTensor*} (created for the call, destroyed after the launch),
 * {@link Scalar} an {@code aclScalar*}, {@code Long} an {@code int64_t}, {@code Double} a
 * {@code double}, {@code Byte} an {@code int8_t}, {@code Boolean} a {@code bool}, {@link DType} an
 * {@code aclDataType}. Operators run asynchronously on the stream; the workspace buffer is reused and only
 * replaced after a synchronize.
 */
final class Aclnn implements AutoCloseable {
  /** A float value passed as {@code aclScalar*}. */
  record Scalar(float value) {}

  /** An {@code aclDataType} argument. */
  record DType(AclDType type) {}

  private static final int FORMAT_ND = 2;

  private final AclRuntime runtime;
  private final MemorySegment stream;
  private long workspace;
  private long workspaceBytes;

  Aclnn(AclRuntime runtime, MemorySegment stream) {
    this.runtime = runtime;
    this.stream = stream;
  }

  MemorySegment stream() {
    return stream;
  }

  /** Runs operator {@code op} (e.g. {@code aclnnMm}) on the stream. */
  void run(String op, Object... args) {
    List<MemorySegment> tensors = new ArrayList<>();
    List<MemorySegment> scalars = new ArrayList<>();
    try (Arena arena = Arena.ofConfined()) {
      Object[] values = new Object[args.length + 2];
      MemoryLayout[] layouts = new MemoryLayout[args.length + 2];
      for (int i = 0; i < args.length; i++) {
        Object a = args[i];
        switch (a) {
          case NpuTensor t -> {
            MemorySegment handle = createTensor(t, arena);
            tensors.add(handle);
            values[i] = handle;
            layouts[i] = ADDRESS;
          }
          case Scalar s -> {
            MemorySegment handle = createScalar(s.value(), arena);
            scalars.add(handle);
            values[i] = handle;
            layouts[i] = ADDRESS;
          }
          case DType d -> {
            values[i] = d.type().code();
            layouts[i] = JAVA_INT;
          }
          case Long l -> {
            values[i] = l;
            layouts[i] = JAVA_LONG;
          }
          case Double d -> {
            values[i] = d;
            layouts[i] = JAVA_DOUBLE;
          }
          case Byte b -> {
            values[i] = b;
            layouts[i] = JAVA_BYTE;
          }
          case Boolean b -> {
            values[i] = b;
            layouts[i] = JAVA_BOOLEAN;
          }
          default -> throw new IllegalArgumentException(op + ": unsupported argument " + a);
        }
      }
      MemorySegment size = arena.allocate(JAVA_LONG);
      MemorySegment executor = arena.allocate(ADDRESS);
      values[args.length] = size;
      values[args.length + 1] = executor;
      layouts[args.length] = ADDRESS;
      layouts[args.length + 1] = ADDRESS;
      String first = op + "GetWorkspaceSize";
      runtime.check(first, invoke(first, FunctionDescriptor.of(JAVA_INT, layouts), values));
      long bytes = size.get(JAVA_LONG, 0);
      MemorySegment ws = bytes > 0 ? MemorySegment.ofAddress(workspace(bytes)) : MemorySegment.NULL;
      runtime.check(
          op,
          invoke(
              op,
              FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS),
              new Object[] {ws, bytes, executor.get(ADDRESS, 0), stream}));
    } finally {
      tensors.forEach(this::destroyTensor);
      scalars.forEach(this::destroyScalar);
    }
  }

  private int invoke(String name, FunctionDescriptor descriptor, Object[] values) {
    return (int) runtime.invoke(name, descriptor, values);
  }

  private long workspace(long bytes) {
    if (bytes > workspaceBytes) {
      if (workspace != 0) {
        runtime.synchronize(stream); // queued operators may still use the old buffer
        runtime.free(workspace);
      }
      workspaceBytes = Math.max(bytes, 2 * workspaceBytes);
      workspace = runtime.malloc(workspaceBytes);
    }
    return workspace;
  }

  private MemorySegment createTensor(NpuTensor t, Arena arena) {
    MemorySegment dims = arena.allocateFrom(JAVA_LONG, t.shape());
    MemorySegment strides = arena.allocateFrom(JAVA_LONG, t.strides());
    MemorySegment storage = arena.allocateFrom(JAVA_LONG, t.storageElements());
    MemorySegment handle =
        (MemorySegment)
            runtime.invoke(
                "aclCreateTensor",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS),
                dims, (long) t.shape().length, t.dtype().code(), strides, t.offset(), FORMAT_ND, storage, 1L,
                MemorySegment.ofAddress(t.address()));
    if (handle.equals(MemorySegment.NULL)) {
      throw new AscendException("aclCreateTensor", -1, runtime.recentErrorMessage() + " (tensor " + t + ")");
    }
    return handle;
  }

  private MemorySegment createScalar(float value, Arena arena) {
    MemorySegment boxed = arena.allocateFrom(JAVA_FLOAT, value);
    MemorySegment handle =
        (MemorySegment)
            runtime.invoke("aclCreateScalar", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT), boxed, AclDType.FLOAT.code());
    if (handle.equals(MemorySegment.NULL)) {
      throw new AscendException("aclCreateScalar", -1, runtime.recentErrorMessage());
    }
    return handle;
  }

  private void destroyTensor(MemorySegment handle) {
    destroy("aclDestroyTensor", handle);
  }

  private void destroyScalar(MemorySegment handle) {
    destroy("aclDestroyScalar", handle);
  }

  private void destroy(String function, MemorySegment handle) {
    runtime.check(function, (int) runtime.invoke(function, FunctionDescriptor.of(JAVA_INT, ADDRESS), handle));
  }

  @Override
  public void close() {
    if (workspace != 0) {
      runtime.synchronize(stream);
      runtime.free(workspace);
      workspace = 0;
    }
  }
}
