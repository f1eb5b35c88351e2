package dev.gemma4j.server.internal;

import java.util.Locale;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram with fixed bucket boundaries (upper bounds, seconds); thread-safe without locks. */
final class Histogram {
  private final double[] bounds;
  private final LongAdder[] counts;
  private final LongAdder count = new LongAdder();
  private final DoubleAdder sum = new DoubleAdder();

  Histogram(double... bounds) {
    this.bounds = bounds.clone();
    this.counts = new LongAdder[bounds.length];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  void observe(double value) {
    for (int i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        counts[i].increment();
        break;
      }
    }
    count.increment();
    sum.add(value);
  }

  /** Writes the {@code _bucket}, {@code _sum} and {@code _count} lines; {@code labels} is {@code a="b",...}. */
  void write(StringBuilder out, String name, String labels) {
    long cumulative = 0;
    String prefix = labels.isEmpty() ? "" : labels + ",";
    for (int i = 0; i < bounds.length; i++) {
      cumulative += counts[i].sum();
      out.append(name).append("_bucket{").append(prefix).append("le=\"").append(format(bounds[i])).append("\"} ")
          .append(cumulative).append('\n');
    }
    long total = count.sum();
    out.append(name).append("_bucket{").append(prefix).append("le=\"+Inf\"} ").append(total).append('\n');
    String braces = labels.isEmpty() ? "" : "{" + labels + "}";
    out.append(name).append("_sum").append(braces).append(' ').append(format(sum.sum())).append('\n');
    out.append(name).append("_count").append(braces).append(' ').append(total).append('\n');
  }

  static String format(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? String.format(Locale.ROOT, "%.1f", value)
        : Double.toString(value);
  }
}
