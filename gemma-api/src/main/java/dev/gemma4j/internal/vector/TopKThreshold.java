package dev.gemma4j.internal.vector;

/**
 * The {@code k} largest values seen so far, in a binary min-heap, so the {@code k}-th largest of a row
 * comes out of one pass: an element enters only when it beats the current threshold (the heap's root),
 * which after the first few thousand elements almost none do. Internal, not API.
 */
public final class TopKThreshold {
  private final float[] heap;
  private int size;

  /** A heap for the {@code k} largest values. */
  public TopKThreshold(int k) {
    this.heap = new float[k];
  }

  /** The value an element must exceed to enter; negative infinity until {@code k} elements were seen. */
  public float threshold() {
    return size < heap.length ? Float.NEGATIVE_INFINITY : heap[0];
  }

  /** Offers a value. */
  public void offer(float v) {
    if (size < heap.length) {
      int i = size++;
      heap[i] = v;
      while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
        swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
      }
    } else if (v > heap[0]) {
      heap[0] = v;
      int i = 0;
      while (true) {
        int smallest = i;
        int left = 2 * i + 1;
        int right = left + 1;
        if (left < size && heap[left] < heap[smallest]) {
          smallest = left;
        }
        if (right < size && heap[right] < heap[smallest]) {
          smallest = right;
        }
        if (smallest == i) {
          return;
        }
        swap(i, smallest);
        i = smallest;
      }
    }
  }

  private void swap(int a, int b) {
    float t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
  }

  /** The k-th largest of all values offered (the heap is full by then). */
  public float kth() {
    return heap[0];
  }
}
