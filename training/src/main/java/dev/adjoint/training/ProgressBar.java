package dev.adjoint.training;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar with loss, accuracy and throughput, redrawn in place on a terminal; on
 * anything else (a CI log, a pipe) it prints the first update and a line at every tenth of the way, so logs
 * stay readable.
 */
public final class ProgressBar {
  private static final int WIDTH = 30;

  private final PrintStream out;
  private final String label;
  private final long total;
  private final boolean interactive;
  private final long started = System.nanoTime();
  private long samples;
  private int lastDecile = -1;

  public ProgressBar(PrintStream out, String label, long total, boolean interactive) {
    this.out = out;
    this.label = label;
    this.total = Math.max(1, total);
    this.interactive = interactive;
  }

  /** A bar on standard output, redrawn in place when a terminal is attached. */
  public static ProgressBar onStdout(String label, long total) {
    return new ProgressBar(System.out, label, total, System.console() != null);
  }

  /** Records progress {@code done} of the total after {@code batchSamples} more samples. */
  public void update(long done, int batchSamples, double loss, double accuracy) {
    samples += batchSamples;
    String line = render(done, loss, accuracy);
    if (interactive) {
      out.print("\r" + line);
      out.flush();
    } else {
      int decile = (int) (10 * done / total);
      if (decile != lastDecile) {
        lastDecile = decile;
        out.println(line);
      }
    }
  }

  /** Ends the bar's line. */
  public void finish() {
    if (interactive) {
      out.println();
    }
  }

  String render(long done, double loss, double accuracy) {
    int filled = (int) (WIDTH * Math.min(done, total) / total);
    String bar = "=".repeat(filled) + (filled < WIDTH ? ">" : "") + " ".repeat(Math.max(0, WIDTH - filled - 1));
    double seconds = (System.nanoTime() - started) / 1e9;
    return String.format(Locale.ROOT, "%s [%s] %d/%d  loss %.4f  acc %5.1f%%  %,.0f samples/s", label, bar, done,
        total, loss, 100 * accuracy, seconds > 0 ? samples / seconds : 0.0);
  }
}
