package dev.adjoint.bench;

/**
 * One row of the models table: a model run by one engine (the reference interpreter, the JVM
 * backend with fusion off, with fusion on, ...).
 *
 * @param model the model and its input, e.g. "MLP 784-1024-1024-10, batch 64, forward"
 * @param engine what ran it
 * @param medianMillis median milliseconds per run at steady speed
 * @param firstResultMillis milliseconds from the graph to the first result (compile included)
 * @param runsToSteady runs until the time per run settled
 */
public record ModelRow(
    String model, String engine, double medianMillis, double firstResultMillis, int runsToSteady) {}
