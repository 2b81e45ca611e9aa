package io.lb4j.testkit.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Folders a test, a demo or a training run made for itself and removes when it is done. */
public final class Folders {

  private Folders() {}

  /**
   * Deletes {@code dir} and everything in it, as far as it can; what cannot be deleted is left
   * (a temporary folder left behind is not worth failing for). Null or missing: nothing to do.
   *
   * @param dir the folder, or null
   */
  public static void deleteQuietly(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // Left behind; see above.
    }
  }
}
