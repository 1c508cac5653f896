package dev.adjoint.kernel;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An affine element index {@code base + Σ stride·var} into a buffer, in elements. A broadcast
 * dimension has no term (stride 0). Terms are kept sorted by variable and without zero strides, so
 * equal indices are equal records.
 */
public record Index(int base, List<Term> terms) {

  /** One {@code stride·var} summand. */
  public record Term(Var var, int stride) {}

  public static final Index ZERO = new Index(0, List.of());

  public Index {
    Map<Integer, Term> merged = new TreeMap<>();
    for (Term t : terms) {
      Term old = merged.get(t.var().id());
      merged.put(t.var().id(), new Term(t.var(), Math.addExact(old == null ? 0 : old.stride(), t.stride())));
    }
    List<Term> kept = new ArrayList<>();
    for (Term t : merged.values()) {
      if (t.stride() != 0) {
        kept.add(t);
      }
    }
    kept.sort(Comparator.comparingInt(t -> t.var().id()));
    terms = List.copyOf(kept);
  }

  public static Index constant(int base) {
    return new Index(base, List.of());
  }

  public static Index of(Var var) {
    return new Index(0, List.of(new Term(var, 1)));
  }

  public boolean isConstant() {
    return terms.isEmpty();
  }

  public Index plus(Index other) {
    List<Term> all = new ArrayList<>(terms);
    all.addAll(other.terms);
    return new Index(Math.addExact(base, other.base), all);
  }

  public Index plus(int offset) {
    return new Index(Math.addExact(base, offset), terms);
  }

  public Index times(int factor) {
    List<Term> scaled = new ArrayList<>();
    for (Term t : terms) {
      scaled.add(new Term(t.var(), Math.multiplyExact(t.stride(), factor)));
    }
    return new Index(Math.multiplyExact(base, factor), scaled);
  }

  /** The stride of {@code var} in this index, 0 if it does not occur. */
  public int stride(Var var) {
    for (Term t : terms) {
      if (t.var().equals(var)) {
        return t.stride();
      }
    }
    return 0;
  }

  /** This index with {@code var} replaced by {@code replacement}. */
  public Index substitute(Var var, Index replacement) {
    int stride = stride(var);
    if (stride == 0) {
      return this;
    }
    List<Term> rest = new ArrayList<>();
    for (Term t : terms) {
      if (!t.var().equals(var)) {
        rest.add(t);
      }
    }
    return new Index(base, rest).plus(replacement.times(stride));
  }

  /** {@code 12*i0 + i1 + 3}; {@code 0} for the zero index. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Term t : terms) {
      if (!sb.isEmpty()) {
        sb.append(t.stride() < 0 ? " - " : " + ");
      } else if (t.stride() < 0) {
        sb.append("-");
      }
      int magnitude = Math.abs(t.stride());
      sb.append(magnitude == 1 ? "" : magnitude + "*").append(t.var());
    }
    if (sb.isEmpty()) {
      return Integer.toString(base);
    }
    if (base != 0) {
      sb.append(base < 0 ? " - " : " + ").append(Math.abs((long) base));
    }
    return sb.toString();
  }
}
