package dev.gemma4j.internal.grammar;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A set of Unicode code points as sorted, disjoint, inclusive ranges, with a bitmap for ASCII (the common
 * case of JSON). Immutable.
 */
final class CharSet {
  static final int MAX_CODE_POINT = Character.MAX_CODE_POINT;
  static final CharSet ANY = ranges(0, MAX_CODE_POINT);
  static final CharSet DIGITS = ranges('0', '9');
  static final CharSet NONZERO_DIGITS = ranges('1', '9');

  private final int[] bounds; // lo0, hi0, lo1, hi1, ...
  private final long asciiLow;
  private final long asciiHigh;

  private CharSet(int[] bounds) {
    this.bounds = bounds;
    long low = 0;
    long high = 0;
    for (int c = 0; c < 128; c++) {
      if (searchContains(c)) {
        if (c < 64) {
          low |= 1L << c;
        } else {
          high |= 1L << (c - 64);
        }
      }
    }
    asciiLow = low;
    asciiHigh = high;
  }

  /** The set of exactly {@code c}. */
  static CharSet of(int c) {
    return ranges(c, c);
  }

  /** The set of each of the characters of {@code chars}. */
  static CharSet anyOf(String chars) {
    return union(chars.codePoints().mapToObj(CharSet::of).toList());
  }

  /** The set of {@code [lo0, hi0] ∪ [lo1, hi1] ∪ ...}, in any order, overlapping or not. */
  static CharSet ranges(int... loHi) {
    if (loHi.length % 2 != 0) {
      throw new IllegalArgumentException("ranges come in pairs");
    }
    List<int[]> list = new ArrayList<>();
    for (int i = 0; i < loHi.length; i += 2) {
      if (loHi[i] <= loHi[i + 1]) {
        list.add(new int[] {loHi[i], loHi[i + 1]});
      }
    }
    return normalized(list);
  }

  static CharSet union(List<CharSet> sets) {
    List<int[]> list = new ArrayList<>();
    for (CharSet s : sets) {
      for (int i = 0; i < s.bounds.length; i += 2) {
        list.add(new int[] {s.bounds[i], s.bounds[i + 1]});
      }
    }
    return normalized(list);
  }

  private static CharSet normalized(List<int[]> list) {
    list.sort((a, b) -> Integer.compare(a[0], b[0]));
    int[] out = new int[list.size() * 2];
    int n = 0;
    for (int[] r : list) {
      if (n > 0 && r[0] <= out[n - 1] + 1) {
        out[n - 1] = Math.max(out[n - 1], r[1]);
      } else {
        out[n++] = r[0];
        out[n++] = r[1];
      }
    }
    return new CharSet(Arrays.copyOf(out, n));
  }

  /** Every code point not in this set. */
  CharSet complement() {
    List<Integer> out = new ArrayList<>();
    int next = 0;
    for (int i = 0; i < bounds.length; i += 2) {
      if (bounds[i] > next) {
        out.add(next);
        out.add(bounds[i] - 1);
      }
      next = bounds[i + 1] + 1;
    }
    if (next <= MAX_CODE_POINT) {
      out.add(next);
      out.add(MAX_CODE_POINT);
    }
    return new CharSet(out.stream().mapToInt(Integer::intValue).toArray());
  }

  /** The code points in this set and not in {@code other}. */
  CharSet minus(CharSet other) {
    return union(List.of(complement(), other)).complement();
  }

  boolean contains(int c) {
    if (c < 64) {
      return c >= 0 && (asciiLow >>> c & 1) != 0;
    }
    if (c < 128) {
      return (asciiHigh >>> (c - 64) & 1) != 0;
    }
    return searchContains(c);
  }

  private boolean searchContains(int c) {
    int lo = 0;
    int hi = bounds.length / 2 - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (c < bounds[2 * mid]) {
        hi = mid - 1;
      } else if (c > bounds[2 * mid + 1]) {
        lo = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  /** The one code point of a set of one, else -1. */
  int singleCodePoint() {
    return bounds.length == 2 && bounds[0] == bounds[1] ? bounds[0] : -1;
  }

  boolean isEmpty() {
    return bounds.length == 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CharSet other && Arrays.equals(bounds, other.bounds);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bounds);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < bounds.length; i += 2) {
      s.append(show(bounds[i]));
      if (bounds[i + 1] != bounds[i]) {
        s.append('-').append(show(bounds[i + 1]));
      }
    }
    return s.append(']').toString();
  }

  private static String show(int c) {
    return c >= 0x21 && c < 0x7f ? Character.toString(c) : String.format("\\u{%x}", c);
  }
}
