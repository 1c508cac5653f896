package dev.adjoint.training;

import dev.adjoint.ir.AdjointException;
import dev.adjoint.io.AtomicFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/** Loss and accuracy curves over training steps, written as a PNG (XChart, headless). */
public final class TrainingPlot {
  private final List<Double> steps = new ArrayList<>();
  private final List<Double> losses = new ArrayList<>();
  private final List<Double> accuracies = new ArrayList<>();

  public void add(long step, double loss, double accuracy) {
    steps.add((double) step);
    losses.add(loss);
    accuracies.add(accuracy);
  }

  public int size() {
    return steps.size();
  }

  /** Writes the plot; the file appears whole or not at all. */
  public void write(Path png, String title) {
    if (steps.isEmpty()) {
      throw new AdjointException("nothing to plot: no training steps were recorded");
    }
    System.setProperty("java.awt.headless", "true");
    XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("step").build();
    chart.getStyler().setMarkerSize(0);
    chart.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
    XYSeries loss = chart.addSeries("loss", steps, losses);
    loss.setYAxisGroup(0);
    chart.setYAxisGroupTitle(0, "loss");
    XYSeries accuracy = chart.addSeries("accuracy", steps, accuracies);
    accuracy.setYAxisGroup(1);
    chart.setYAxisGroupTitle(1, "accuracy");
    AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
  }
}
