package dev.adjoint.cli;

import dev.adjoint.ir.AdjointException;
import java.util.Arrays;

/** Entry point of the {@code adjoint} command line; {@code ./adjoint <command>} lands here. */
public final class Main {
  private static final String USAGE =
      """
      Usage: adjoint <command> [args]

      Commands:
        demo [epochs] [dir]  train a small ResNet on MNIST with the JVM backend, fold batch norm,
                             save a checkpoint and a plot of the training curves in dir (adjoint-out)
        tour           build an MLP, print its IR and backward IR, train it with the reference
                       interpreter and check its gradients against finite differences
        bench [--only gemm|streaming|conv|models]
                       print the benchmark tables: runtime kernels, then models on each engine
                       (--only: one section)
        fold           print a small ResNet's IR before and after folding batch norm into its convolutions
        help           show this message
      """;

  private Main() {}

  public static void main(String[] args) {
    String command = args.length == 0 ? "help" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    try {
      switch (command) {
        case "demo" -> MnistDemo.run(rest);
        case "tour" -> Tour.run(rest);
        case "bench" -> ModelBenchmarks.run(rest);
        case "fold" -> FoldDemo.run(rest);
        default -> {
          if (!command.equals("help")) {
            System.err.println("adjoint: unknown command '" + command + "'");
          }
          System.err.print(USAGE);
          System.exit(2);
        }
      }
    } catch (UsageException e) {
      System.err.println("adjoint: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
    } catch (AdjointException e) {
      // Errors Adjoint raises on purpose already say what went wrong; a stack trace adds nothing.
      System.err.println("adjoint: " + e.getMessage());
      System.exit(1);
    }
  }
}
