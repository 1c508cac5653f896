package dev.adjoint.jvm;

import dev.adjoint.ir.NDArray;
import java.util.List;
import java.util.Map;

/** What one run produces: the outputs in order, and the new value of every updated state or parameter. */
public record Execution(List<NDArray> outputs, Map<String, NDArray> updatedState) {
  public Execution {
    outputs = List.copyOf(outputs);
    updatedState = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(updatedState));
  }
}
