package dev.adjoint.codegen.jvm;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.util.Textifier;
import org.objectweb.asm.util.TraceClassVisitor;

/** Reading generated class files back: method sizes and bytecode listings. */
public final class ClassFiles {
  private ClassFiles() {}

  /**
   * The bytecode length of every method with code, by name: what HotSpot compares with its
   * huge-method limit (8000 bytes) before it declines to JIT-compile a method.
   */
  public static Map<String, Integer> codeLengths(byte[] classFile) {
    ClassReader reader = new ClassReader(classFile);
    char[] buffer = new char[reader.getMaxStringLength()];
    int p = reader.header + 6; // access flags, this class, super class
    p += 2 + 2 * reader.readUnsignedShort(p);
    int fields = reader.readUnsignedShort(p);
    p += 2;
    for (int f = 0; f < fields; f++) {
      p = skipAttributes(reader, p + 6);
    }
    int methods = reader.readUnsignedShort(p);
    p += 2;
    Map<String, Integer> lengths = new LinkedHashMap<>();
    for (int m = 0; m < methods; m++) {
      String name = reader.readUTF8(p + 2, buffer);
      int attributes = reader.readUnsignedShort(p + 6);
      p += 8;
      for (int a = 0; a < attributes; a++) {
        String attribute = reader.readUTF8(p, buffer);
        int length = reader.readInt(p + 2);
        if (attribute.equals("Code")) {
          lengths.merge(name, reader.readInt(p + 10), Math::max);
        }
        p += 6 + length;
      }
    }
    return lengths;
  }

  private static int skipAttributes(ClassReader reader, int p) {
    int attributes = reader.readUnsignedShort(p);
    p += 2;
    for (int a = 0; a < attributes; a++) {
      p += 6 + reader.readInt(p + 2);
    }
    return p;
  }

  /** The javap-like listing of a class, as ASM's {@link Textifier} prints it. */
  public static String listing(byte[] classFile) {
    StringWriter out = new StringWriter();
    new ClassReader(classFile).accept(new TraceClassVisitor(null, new Textifier(), new PrintWriter(out)), 0);
    return out.toString();
  }
}
