package dev.gemma4j.backend.npu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.gemma4j.engine.DeviceCounters;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * CANN's runtime ({@code acl.h}, {@code acl_rt.h}) as typed Java methods. Every status is checked: a
 * failure becomes an {@link AscendException} naming the function and carrying {@code aclGetRecentErrMsg()}.
 * Device calls must come from the thread that called {@link #setDevice} (CANN binds the context to it).
 */
final class AclRuntime {
  /** {@code aclrtMemcpyKind}. */
  static final int HOST_TO_DEVICE = 1;
  static final int DEVICE_TO_HOST = 2;
  static final int DEVICE_TO_DEVICE = 3;
  /** {@code aclrtMemMallocPolicy} ACL_MEM_MALLOC_HUGE_FIRST. */
  static final int MALLOC_HUGE_FIRST = 0;
  /** {@code aclrtMemAttr} ACL_HBM_MEM. */
  static final int HBM = 1;
  /** {@code aclmdlRICaptureMode} ACL_MODEL_RI_CAPTURE_MODE_THREAD_LOCAL. */
  static final int CAPTURE_THREAD_LOCAL = 1;

  private final AclLibrary library;
  // Written only by the device thread, read by any: volatile is enough for a single writer.
  private volatile long syncs;
  private volatile long hostToDeviceBytes;
  private volatile long deviceToHostBytes;
  private volatile long allocations;

  AclRuntime(AclLibrary library) {
    this.library = library;
  }

  /** Synchronizations, bytes copied each way and allocations so far, with {@code launches} from the caller. */
  DeviceCounters counters(long launches, long stepPeakBytes) {
    return new DeviceCounters(launches, syncs, hostToDeviceBytes, deviceToHostBytes, allocations, stepPeakBytes);
  }

  AclLibrary library() {
    return library;
  }

  private MethodHandle fn(String name, FunctionDescriptor d) {
    return library.function(name, d);
  }

  /** Throws when {@code status} is not ACL_SUCCESS. */
  void check(String function, int status) {
    if (status != 0) {
      throw new AscendException(function, status, recentErrorMessage());
    }
  }

  String recentErrorMessage() {
    try {
      MemorySegment message = (MemorySegment) fn("aclGetRecentErrMsg", FunctionDescriptor.of(ADDRESS)).invokeExact();
      return message.equals(MemorySegment.NULL) ? "" : message.reinterpret(4096).getString(0);
    } catch (Throwable t) {
      return "";
    }
  }

  /** Calls {@code name} with {@code args}; a failure of the call itself becomes an {@link AscendException}. */
  Object invoke(String name, FunctionDescriptor d, Object... args) {
    try {
      return fn(name, d).invokeWithArguments(args);
    } catch (AscendException e) {
      throw e;
    } catch (Throwable t) {
      throw new AscendException(name, -1, "the call itself failed: " + t);
    }
  }

  private int call(String name, FunctionDescriptor d, Object... args) {
    return (int) invoke(name, d, args);
  }

  /** {@code aclInit(NULL)}; a repeated initialization (100002) is not an error. */
  void init() {
    int status = call("aclInit", FunctionDescriptor.of(JAVA_INT, ADDRESS), MemorySegment.NULL);
    if (status != 0 && status != 100002) {
      check("aclInit", status);
    }
  }

  int deviceCount() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment count = arena.allocate(JAVA_INT);
      check("aclrtGetDeviceCount", call("aclrtGetDeviceCount", FunctionDescriptor.of(JAVA_INT, ADDRESS), count));
      return count.get(JAVA_INT, 0);
    }
  }

  void setDevice(int device) {
    check("aclrtSetDevice", call("aclrtSetDevice", FunctionDescriptor.of(JAVA_INT, JAVA_INT), device));
  }

  void resetDevice(int device) {
    check("aclrtResetDevice", call("aclrtResetDevice", FunctionDescriptor.of(JAVA_INT, JAVA_INT), device));
  }

  /** {@code aclrtGetSocName()}, e.g. {@code Ascend910B3}; empty when this CANN cannot say. */
  String socName() {
    try {
      MemorySegment name = (MemorySegment) fn("aclrtGetSocName", FunctionDescriptor.of(ADDRESS)).invokeExact();
      return name.equals(MemorySegment.NULL) ? "" : name.reinterpret(256).getString(0);
    } catch (Throwable t) {
      return "";
    }
  }

  MemorySegment createStream() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ADDRESS);
      check("aclrtCreateStream", call("aclrtCreateStream", FunctionDescriptor.of(JAVA_INT, ADDRESS), out));
      return out.get(ADDRESS, 0);
    }
  }

  void destroyStream(MemorySegment stream) {
    check("aclrtDestroyStream", call("aclrtDestroyStream", FunctionDescriptor.of(JAVA_INT, ADDRESS), stream));
  }

  void synchronize(MemorySegment stream) {
    syncs++;
    check("aclrtSynchronizeStream", call("aclrtSynchronizeStream", FunctionDescriptor.of(JAVA_INT, ADDRESS), stream));
  }

  /** {@code aclmdlRICaptureBegin} in thread-local mode: the stream's launches are recorded, not run. */
  void captureBegin(MemorySegment stream) {
    check("aclmdlRICaptureBegin",
        call("aclmdlRICaptureBegin", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), stream, CAPTURE_THREAD_LOCAL));
  }

  /** {@code aclmdlRICaptureEnd}: the recorded graph. */
  MemorySegment captureEnd(MemorySegment stream) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ADDRESS);
      check("aclmdlRICaptureEnd", call("aclmdlRICaptureEnd", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), stream, out));
      return out.get(ADDRESS, 0);
    }
  }

  /** {@code aclmdlRIExecuteAsync}: queues a captured graph on the stream. */
  void executeGraph(MemorySegment graph, MemorySegment stream) {
    check("aclmdlRIExecuteAsync",
        call("aclmdlRIExecuteAsync", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), graph, stream));
  }

  void destroyGraph(MemorySegment graph) {
    check("aclmdlRIDestroy", call("aclmdlRIDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), graph));
  }

  /** Device memory of {@code bytes} bytes; its address is only meaningful to CANN. */
  long malloc(long bytes) {
    allocations++;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment out = arena.allocate(ADDRESS);
      check(
          "aclrtMalloc",
          call("aclrtMalloc", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), out, bytes, MALLOC_HUGE_FIRST));
      return out.get(ADDRESS, 0).address();
    }
  }

  void free(long address) {
    check("aclrtFree", call("aclrtFree", FunctionDescriptor.of(JAVA_INT, ADDRESS), MemorySegment.ofAddress(address)));
  }

  /** Copies {@code bytes} bytes; {@code kind} says which side is the device. */
  void memcpy(MemorySegment dst, long dstCapacity, MemorySegment src, long bytes, int kind) {
    if (kind == HOST_TO_DEVICE) {
      hostToDeviceBytes += bytes;
    } else if (kind == DEVICE_TO_HOST) {
      deviceToHostBytes += bytes;
    }
    check(
        "aclrtMemcpy",
        call(
            "aclrtMemcpy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT),
            dst, dstCapacity, src, bytes, kind));
  }

  /** {free, total} bytes of the device's HBM. */
  long[] memInfo() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment free = arena.allocate(JAVA_LONG);
      MemorySegment total = arena.allocate(JAVA_LONG);
      check(
          "aclrtGetMemInfo",
          call("aclrtGetMemInfo", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), HBM, free, total));
      return new long[] {free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)};
    }
  }
}
