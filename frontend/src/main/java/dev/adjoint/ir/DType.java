package dev.adjoint.ir;

/** Element types. Every op works in F32 and F64; integer and boolean types carry labels and masks. */
public enum DType {
  F32("f32", 4),
  F64("f64", 8),
  I32("i32", 4),
  I64("i64", 8),
  BOOL("bool", 1);

  private final String text;
  private final int bytes;

  DType(String text, int bytes) {
    this.text = text;
    this.bytes = bytes;
  }

  public boolean isFloating() {
    return this == F32 || this == F64;
  }

  public boolean isInteger() {
    return this == I32 || this == I64;
  }

  public int bytes() {
    return bytes;
  }

  /** The name used in the IR text form: {@code f32}, {@code i64}, ... */
  public String text() {
    return text;
  }

  /** Rounds a double to the nearest value this type can hold (the reference stores all in double). */
  public double round(double v) {
    return switch (this) {
      case F32 -> (float) v;
      case F64 -> v;
      case I32 -> (int) v;
      case I64 -> (long) v;
      case BOOL -> v != 0 ? 1 : 0;
    };
  }

  public static DType fromText(String text) {
    for (DType t : values()) {
      if (t.text.equals(text)) {
        return t;
      }
    }
    throw new AdjointException("unknown dtype '" + text + "' (expected f32, f64, i32, i64 or bool)");
  }

  @Override
  public String toString() {
    return text;
  }
}
