package dev.adjoint.codegen.jvm;

/** One generated class file: its binary name ({@code dev.adjoint.generated.P1Driver}) and bytes. */
public record GeneratedClass(String name, byte[] bytes) {
  public GeneratedClass {
    bytes = bytes.clone();
  }

  /** A copy of the class file. */
  @Override
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The name with slashes, as in class files. */
  public String internalName() {
    return name.replace('.', '/');
  }
}
