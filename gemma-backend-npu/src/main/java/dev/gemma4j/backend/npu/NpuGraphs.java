package dev.gemma4j.backend.npu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Graph mode (opt-in, {@value #OVERRIDE}{@code =on}; off by default until verified on hardware): the layers of
 * a decode step are captured once per shape ({@code aclmdlRICaptureBegin/End}) and replayed with one
 * {@code aclmdlRIExecuteAsync}, so the host no longer pays a two-phase aclnn call per operator.
 *
 * <p>A shape ({@link Key}: sequences and the padded key count per layer kind) runs normally the first time
 * (sizing the arena and the workspace), is captured the second time and replayed from then on. During a
 * capture CANN forbids host copies, so uploads are staged and written once the capture ends. During a replay
 * every operator call is still made on the Java side (uploads land at the same arena addresses) but only
 * checked against the recorded trace, not launched; a call that differs fails the step rather than run a
 * graph that no longer fits. A regrown arena moves every address, so it drops all graphs.
 *
 * <p>Captured graphs hold device resources (CANN's capture streams and task slots are a budget: vllm-ascend
 * caps its captures for that reason), so at most {@value #DEFAULT_MAX_GRAPHS} are kept ({@value #MAX_OVERRIDE}
 * sets another cap): capturing one more destroys the one replayed least recently, whose shape is captured
 * again when it returns. A capture that CANN refuses, at its begin or its end, marks the shape as one that
 * runs without a graph; a failed end also fails its step, whose operators were recorded, not run.
 */
final class NpuGraphs {
  /** Environment variable that turns graph mode on. */
  static final String OVERRIDE = "GEMMA_NPU_GRAPH";
  /** Environment variable with the most graphs kept. */
  static final String MAX_OVERRIDE = "GEMMA_NPU_GRAPH_MAX";
  /** Graphs kept unless {@value #MAX_OVERRIDE} says otherwise. */
  static final int DEFAULT_MAX_GRAPHS = 32;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(NpuGraphs.class);

  /** The shape of a decode step's layers. */
  record Key(int sequences, List<Long> keysPerGroup) {
    Key {
      keysPerGroup = List.copyOf(keysPerGroup);
    }
  }

  private record Graph(MemorySegment handle, List<String> trace) {}

  private record Upload(long address, long capacity, byte[] bytes) {}

  private enum Mode { OFF, CAPTURING, REPLAYING }

  private final AclRuntime runtime;
  private final MemorySegment stream;
  private final int maxGraphs;
  /** In access order: the first is the graph replayed least recently. */
  private final Map<Key, Graph> graphs = new java.util.LinkedHashMap<>(16, 0.75f, true);
  private final Set<Key> seen = new HashSet<>();
  private final Set<Key> failed = new HashSet<>();
  private Mode mode = Mode.OFF;
  private Key current;
  private List<String> trace;
  private List<Upload> staged;
  private int cursor;
  private long replays;

  NpuGraphs(AclRuntime runtime, MemorySegment stream, int maxGraphs) {
    if (maxGraphs < 1) {
      throw new IllegalArgumentException("at least one graph must be kept, was " + maxGraphs);
    }
    this.runtime = runtime;
    this.stream = stream;
    this.maxGraphs = maxGraphs;
  }

  /**
   * The cap {@value #MAX_OVERRIDE} sets, else {@value #DEFAULT_MAX_GRAPHS}.
   *
   * @throws IllegalArgumentException naming the variable when it is not a whole number from 1 to 4096
   */
  static int maxGraphs(Map<String, String> env) {
    String value = env.get(MAX_OVERRIDE);
    if (value == null || value.isBlank()) {
      return DEFAULT_MAX_GRAPHS;
    }
    try {
      int n = Integer.parseInt(value.strip());
      if (n >= 1 && n <= 4096) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException(MAX_OVERRIDE + "=" + value + " is not a whole number from 1 to 4096");
  }

  /** Starts the layers of a decode step of this shape: run normally, captured, or replayed. */
  void begin(Key key) {
    current = key;
    if (failed.contains(key) || seen.add(key)) {
      mode = Mode.OFF;
      return;
    }
    if (graphs.get(key) != null) { // a get, so the graph becomes the most recently used
      mode = Mode.REPLAYING;
      cursor = 0;
      return;
    }
    try {
      runtime.captureBegin(stream);
    } catch (RuntimeException e) {
      failed.add(key);
      mode = Mode.OFF;
      LOG.warn("CANN refused to capture a decode step shaped {}; that shape runs without a graph: {}", key, e.getMessage());
      return;
    }
    mode = Mode.CAPTURING;
    trace = new ArrayList<>();
    staged = new ArrayList<>();
  }

  boolean capturing() {
    return mode == Mode.CAPTURING;
  }

  /**
   * An operator call about to be made: whether to launch it (normal runs and captures) or not (replays,
   * where it is only checked against the trace).
   */
  boolean admit(String op, Object[] args) {
    if (mode == Mode.OFF) {
      return true;
    }
    String signature = signature(op, args);
    if (mode == Mode.CAPTURING) {
      trace.add(signature);
      return true;
    }
    List<String> recorded = graphs.get(current).trace();
    if (cursor >= recorded.size() || !recorded.get(cursor).equals(signature)) {
      failed.add(current);
      dropGraph(current);
      mode = Mode.OFF;
      throw new IllegalStateException("graph replay diverged at operator " + cursor + " (" + op + ") of a step shaped "
          + current + "; this shape runs without a graph from now on (set " + OVERRIDE + "=off to turn graph mode off)");
    }
    cursor++;
    return false;
  }

  /** An upload during a capture, written once the capture ends. */
  void stage(long address, long capacity, MemorySegment host) {
    staged.add(new Upload(address, capacity, host.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
  }

  /**
   * The end of the layers: a capture ends (its staged uploads are written) and runs; a replay runs its
   * graph. Returns whether a graph was queued (one launch).
   */
  boolean end() {
    Mode was = mode;
    mode = Mode.OFF;
    switch (was) {
      case OFF -> {
        return false;
      }
      case CAPTURING -> {
        MemorySegment handle;
        try {
          handle = runtime.captureEnd(stream);
        } catch (RuntimeException e) {
          failed.add(current);
          staged = null;
          trace = null;
          throw new IllegalStateException("CANN could not end the capture of a decode step shaped " + current + " ("
              + e.getMessage() + "); this step fails and its shape runs without a graph from now on", e);
        }
        if (graphs.size() >= maxGraphs) {
          Key eldest = graphs.keySet().iterator().next();
          dropGraph(eldest);
          seen.remove(eldest); // captured again (after one plain run) if it comes back
        }
        graphs.put(current, new Graph(handle, List.copyOf(trace)));
        try (Arena arena = Arena.ofConfined()) {
          for (Upload u : staged) {
            MemorySegment host = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, u.bytes());
            runtime.memcpy(MemorySegment.ofAddress(u.address()), u.capacity(), host, host.byteSize(), AclRuntime.HOST_TO_DEVICE);
          }
        }
        staged = null;
        trace = null;
        runtime.executeGraph(handle, stream);
      }
      case REPLAYING -> {
        Graph graph = graphs.get(current);
        if (cursor != graph.trace().size()) {
          failed.add(current);
          dropGraph(current);
          throw new IllegalStateException("graph replay ended after " + cursor + " of " + graph.trace().size()
              + " operators for a step shaped " + current);
        }
        runtime.executeGraph(graph.handle(), stream);
        replays++;
      }
    }
    return true;
  }

  /** A step that fails mid-way: an open capture is ended and thrown away, so the stream is usable again. */
  void abandon() {
    if (mode == Mode.CAPTURING) {
      mode = Mode.OFF;
      failed.add(current);
      try {
        runtime.destroyGraph(runtime.captureEnd(stream));
      } catch (RuntimeException e) {
        LOG.warn("ending an abandoned capture failed: {}", e.getMessage());
      }
    }
    mode = Mode.OFF;
  }

  /**
   * The operators' shared workspace is about to be replaced: graphs that use it are dropped. During a capture
   * that cannot happen (it would allocate and synchronize), so the capture's step fails instead.
   */
  void workspaceMoves() {
    if (mode == Mode.CAPTURING) {
      throw new IllegalStateException("an operator needs a larger workspace while a graph is being captured; this"
          + " step fails and its shape (" + current + ") runs without a graph");
    }
    invalidate();
  }

  /** Every address moved (the arena was regrown): drops every graph; shapes are captured again. */
  void invalidate() {
    for (Key key : List.copyOf(graphs.keySet())) {
      dropGraph(key);
    }
  }

  /** Graphs replayed so far. */
  long replays() {
    return replays;
  }

  /** Graphs held now, at most the cap. */
  int captured() {
    return graphs.size();
  }

  /** Shapes that run without a graph because a replay diverged or CANN refused their capture. */
  int failedShapes() {
    return failed.size();
  }

  private void dropGraph(Key key) {
    Graph graph = graphs.remove(key);
    if (graph != null) {
      runtime.destroyGraph(graph.handle());
    }
  }

  void close() {
    invalidate();
  }

  /** An operator call as the trace records it: the operator and every argument, tensors by address and view. */
  /** A tensor as a graph's trace records it: dtype, address, offset, shape and strides. */
  static String describe(NpuTensor t) {
    return t.dtype() + "@" + Long.toHexString(t.address()) + "+" + t.offset() + java.util.Arrays.toString(t.shape())
        + java.util.Arrays.toString(t.strides());
  }

  private static String signature(String op, Object[] args) {
    StringBuilder s = new StringBuilder(op);
    for (Object a : args) {
      s.append('|');
      if (a instanceof NpuTensor t) {
        s.append(describe(t));
      } else {
        s.append(a);
      }
    }
    return s.toString();
  }
}
