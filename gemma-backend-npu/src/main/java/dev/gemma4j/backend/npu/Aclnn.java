package dev.gemma4j.backend.npu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import org.jspecify.annotations.Nullable;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * CANN's two-phase operators: {@code aclnnXxxGetWorkspaceSize(<args>, &workspaceSize, &executor)}, then
 * {@code aclnnXxx(workspace, workspaceSize, executor, stream)}. Arguments are given as Java values:
 * {@link NpuTensor} becomes an {@code aclTensor*} (created for the call, destroyed after the launch),
 * {@link TensorList} an {@code aclTensorList*}, {@link IntArray} an {@code aclIntArray*},
 * {@link Scalar} an {@code aclScalar*}, {@code Long} an {@code int64_t}, {@code Integer} an {@code int}, {@code Double} a
 * {@code double}, {@code Byte} an {@code int8_t}, {@code Boolean} a {@code bool}, {@link DType} an
 * {@code aclDataType}, {@code String} a {@code char*} and {@link Null} a null pointer. Operators run asynchronously on the stream; the workspace buffer is reused and only
 * replaced after a synchronize.
 */
final class Aclnn implements AutoCloseable {
  /** A float value passed as {@code aclScalar*}. */
  record Scalar(float value) {}

  /** An integer value passed as an INT64 {@code aclScalar*}, for operators on integer tensors. */
  record IntScalar(long value) {}

  /** An {@code aclDataType} argument. */
  record DType(AclDType type) {}

  /**
   * Tensors passed as one {@code aclTensorList*} (made with {@code aclCreateTensorList}, which takes the
   * tensors: {@code aclDestroyTensorList} destroys them with it).
   */
  record TensorList(List<NpuTensor> tensors) {
    TensorList {
      tensors = List.copyOf(tensors);
    }

    @Override
    public String toString() {
      return "TensorList" + tensors.stream().map(NpuGraphs::describe).toList();
    }
  }

  /** Host integers passed as an {@code aclIntArray*}, such as an operator's per-sequence lengths. */
  record IntArray(long[] values) {
    IntArray {
      values = values.clone();
    }

    @Override
    public String toString() {
      return "IntArray" + java.util.Arrays.toString(values);
    }
  }

  /** A null pointer, for an optional tensor or array the call leaves out. */
  record Null() {}

  static final Null NULL = new Null();

  private static final int FORMAT_ND = 2;

  private final AclRuntime runtime;
  private final MemorySegment stream;
  private long workspace;
  private long workspaceBytes;
  private long launches;
  private @Nullable NpuGraphs graphs;

  Aclnn(AclRuntime runtime, MemorySegment stream) {
    this.runtime = runtime;
    this.stream = stream;
  }

  MemorySegment stream() {
    return stream;
  }

  /** Operators launched so far, a replayed graph counting as one. */
  long launches() {
    return launches;
  }

  /** Routes every call through graph mode's capture and replay. */
  void useGraphs(NpuGraphs graphs) {
    this.graphs = graphs;
  }

  /** A graph queued with {@code aclmdlRIExecuteAsync}: one launch. */
  void countGraphLaunch() {
    launches++;
  }

  /**
   * Runs operator {@code op} (e.g. {@code aclnnMm}) on the stream. On every path the executor is either
   * launched (the stream then owns it) or destroyed with {@code aclDestroyAclOpExecutor}, and every tensor
   * and scalar made for the call is destroyed; the first failure is the one thrown, later ones are
   * attached to it as suppressed.
   */
  void run(String op, Object... args) {
    if (graphs != null && !graphs.admit(op, args)) {
      return; // replayed from a captured graph
    }
    List<MemorySegment> tensors = new ArrayList<>();
    List<MemorySegment> scalars = new ArrayList<>();
    List<MemorySegment> lists = new ArrayList<>();
    List<MemorySegment> arrays = new ArrayList<>();
    Throwable failure = null;
    try (Arena arena = Arena.ofConfined()) {
      Object[] values = new Object[args.length + 2];
      MemoryLayout[] layouts = new MemoryLayout[args.length + 2];
      for (int i = 0; i < args.length; i++) {
        Object a = args[i];
        switch (a) {
          case NpuTensor t -> {
            values[i] = owned(tensors, createTensor(t, arena));
            layouts[i] = ADDRESS;
          }
          case Scalar s -> {
            values[i] = owned(scalars, createScalar(arena.allocateFrom(JAVA_FLOAT, s.value()), AclDType.FLOAT));
            layouts[i] = ADDRESS;
          }
          case IntScalar s -> {
            values[i] = owned(scalars, createScalar(arena.allocateFrom(JAVA_LONG, s.value()), AclDType.INT64));
            layouts[i] = ADDRESS;
          }
          case TensorList list -> {
            values[i] = owned(lists, createTensorList(list, arena));
            layouts[i] = ADDRESS;
          }
          case IntArray array -> {
            values[i] = owned(arrays, createIntArray(array, arena));
            layouts[i] = ADDRESS;
          }
          case DType d -> {
            values[i] = d.type().code();
            layouts[i] = JAVA_INT;
          }
          case String text -> {
            values[i] = arena.allocateFrom(text);
            layouts[i] = ADDRESS;
          }
          case Null ignored -> {
            values[i] = MemorySegment.NULL;
            layouts[i] = ADDRESS;
          }
          case Long l -> {
            values[i] = l;
            layouts[i] = JAVA_LONG;
          }
          case Integer n -> {
            values[i] = n;
            layouts[i] = JAVA_INT;
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
      launch(op, executor.get(ADDRESS, 0), size.get(JAVA_LONG, 0));
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      Throwable first = failure;
      for (MemorySegment t : tensors) {
        first = destroy("aclDestroyTensor", t, first);
      }
      for (MemorySegment s : scalars) {
        first = destroy("aclDestroyScalar", s, first);
      }
      for (MemorySegment l : lists) {
        first = destroy("aclDestroyTensorList", l, first);
      }
      for (MemorySegment a : arrays) {
        first = destroy("aclDestroyIntArray", a, first);
      }
      if (failure == null && first instanceof RuntimeException destroyFailed) {
        throw destroyFailed;
      }
    }
  }

  /** {@code handle}, added to the handles destroyed after the call. */
  private static MemorySegment owned(List<MemorySegment> handles, MemorySegment handle) {
    handles.add(handle);
    return handle;
  }

  /** Launches a made executor, or destroys it when its workspace cannot be had. */
  private void launch(String op, MemorySegment executor, long workspaceBytes) {
    MemorySegment ws;
    try {
      ws = workspaceBytes > 0 ? MemorySegment.ofAddress(workspace(workspaceBytes)) : MemorySegment.NULL;
    } catch (RuntimeException e) {
      destroyExecutor(executor, e);
      throw e;
    }
    launches++;
    runtime.check(
        op, invoke(op, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS), new Object[] {ws, workspaceBytes, executor, stream}));
  }

  private void destroyExecutor(MemorySegment executor, Throwable primary) {
    try {
      runtime.check("aclDestroyAclOpExecutor",
          (int) runtime.invoke("aclDestroyAclOpExecutor", FunctionDescriptor.of(JAVA_INT, ADDRESS), executor));
    } catch (RuntimeException e) {
      primary.addSuppressed(e);
    }
  }

  private int invoke(String name, FunctionDescriptor descriptor, Object[] values) {
    return (int) runtime.invoke(name, descriptor, values);
  }

  private long workspace(long bytes) {
    if (bytes > workspaceBytes) {
      if (graphs != null) {
        graphs.workspaceMoves(); // captured graphs hold the old buffer's address
      }
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

  /** A tensor list owning its tensors; if making it fails, the tensors made so far are destroyed. */
  private MemorySegment createTensorList(TensorList list, Arena arena) {
    List<MemorySegment> made = new ArrayList<>();
    try {
      for (NpuTensor t : list.tensors()) {
        made.add(createTensor(t, arena));
      }
      MemorySegment handles = arena.allocate(ADDRESS, Math.max(1, made.size()));
      for (int i = 0; i < made.size(); i++) {
        handles.setAtIndex(ADDRESS, i, made.get(i));
      }
      MemorySegment handle = (MemorySegment) runtime.invoke(
          "aclCreateTensorList", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG), handles, (long) made.size());
      if (handle.equals(MemorySegment.NULL)) {
        throw new AscendException("aclCreateTensorList", -1, runtime.recentErrorMessage());
      }
      return handle;
    } catch (RuntimeException | Error e) {
      Throwable first = e;
      for (MemorySegment t : made) {
        first = destroy("aclDestroyTensor", t, first);
      }
      throw e;
    }
  }

  private MemorySegment createIntArray(IntArray array, Arena arena) {
    MemorySegment values = arena.allocateFrom(JAVA_LONG, array.values());
    MemorySegment handle = (MemorySegment) runtime.invoke(
        "aclCreateIntArray", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG), values, (long) array.values().length);
    if (handle.equals(MemorySegment.NULL)) {
      throw new AscendException("aclCreateIntArray", -1, runtime.recentErrorMessage());
    }
    return handle;
  }

  private MemorySegment createScalar(MemorySegment boxed, AclDType dtype) {
    MemorySegment handle =
        (MemorySegment) runtime.invoke("aclCreateScalar", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT), boxed, dtype.code());
    if (handle.equals(MemorySegment.NULL)) {
      throw new AscendException("aclCreateScalar", -1, runtime.recentErrorMessage());
    }
    return handle;
  }

  /**
   * Destroys a handle. A failure becomes the primary one when there is none yet (and is thrown once every
   * handle is destroyed), else it is attached to the primary.
   */
  private @Nullable Throwable destroy(String function, MemorySegment handle, @Nullable Throwable primary) {
    try {
      runtime.check(function, (int) runtime.invoke(function, FunctionDescriptor.of(JAVA_INT, ADDRESS), handle));
      return primary;
    } catch (RuntimeException e) {
      if (primary == null) {
        return e;
      }
      primary.addSuppressed(e);
      return primary;
    }
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
