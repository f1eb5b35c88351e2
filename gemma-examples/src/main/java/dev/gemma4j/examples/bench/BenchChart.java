package dev.gemma4j.examples.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.StackedBarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The benchmark chart, one PNG with two panels: output tokens/s and time to first token against
 * concurrency, and the memory split (weights, KV cache, the rest of the process peak) per run.
 */
final class BenchChart {
  private static final int WIDTH = 1200;
  private static final int HEIGHT = 480;

  private BenchChart() {}

  static void write(Path png, List<BenchReport.Result> results) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, HEIGHT);
      throughput(results).draw(g, new Rectangle2D.Double(0, 0, WIDTH * 0.6, HEIGHT));
      memory(results).draw(g, new Rectangle2D.Double(WIDTH * 0.6, 0, WIDTH * 0.4, HEIGHT));
    } finally {
      g.dispose();
    }
    ImageIO.write(image, "png", png.toFile());
  }

  private static JFreeChart throughput(List<BenchReport.Result> results) {
    XYSeries tokens = new XYSeries("output tokens/s");
    XYSeries ttft = new XYSeries("TTFT p50 (ms)");
    for (BenchReport.Result r : results) {
      tokens.add(r.workload().concurrency(), r.outputTokensPerS());
      ttft.add(r.workload().concurrency(), r.ttftMsP50());
    }
    NumberAxis concurrency = new NumberAxis("concurrent requests");
    concurrency.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    XYPlot plot =
        new XYPlot(new XYSeriesCollection(tokens), concurrency, new NumberAxis("output tokens/s"), renderer(new Color(0x1f77b4)));
    plot.setRangeAxis(1, new NumberAxis("time to first token, p50 (ms)"));
    plot.setDataset(1, new XYSeriesCollection(ttft));
    plot.mapDatasetToRangeAxis(1, 1);
    plot.setRenderer(1, renderer(new Color(0xd62728)));
    BenchReport.Result first = results.getFirst();
    return new JFreeChart(
        "Throughput and latency (" + first.workload().promptTokens() + " -> " + first.workload().newTokens() + " tokens)",
        JFreeChart.DEFAULT_TITLE_FONT, plot, true);
  }

  private static XYLineAndShapeRenderer renderer(Color color) {
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    r.setSeriesPaint(0, color);
    r.setSeriesStroke(0, new BasicStroke(2.5f));
    return r;
  }

  private static JFreeChart memory(List<BenchReport.Result> results) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    double gib = 1L << 30;
    for (BenchReport.Result r : results) {
      String run = "c=" + r.workload().concurrency();
      double rest = Math.max(0, r.peakMemoryBytes() - r.weightBytes() - r.kvCacheUsedPeakBytes());
      data.addValue(r.weightBytes() / gib, "static: weights", run);
      data.addValue(r.kvCacheUsedPeakBytes() / gib, "dynamic: KV cache in use at peak", run);
      data.addValue(rest / gib, "rest of the process peak", run);
    }
    StackedBarRenderer bars = new StackedBarRenderer();
    bars.setBarPainter(new StandardBarPainter());
    bars.setShadowVisible(false);
    bars.setSeriesPaint(0, new Color(0x1f77b4));
    bars.setSeriesPaint(1, new Color(0xff7f0e));
    bars.setSeriesPaint(2, new Color(0xc7c7c7));
    CategoryPlot plot = new CategoryPlot(data, new CategoryAxis("run"), new NumberAxis("GiB"), bars);
    plot.setOrientation(PlotOrientation.VERTICAL);
    return new JFreeChart("Memory split", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
  }
}
