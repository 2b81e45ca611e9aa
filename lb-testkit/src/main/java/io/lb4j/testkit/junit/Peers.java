package io.lb4j.testkit.junit;

import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;

/**
 * Skips a test whose real peer (BoringSSL, the {@code openssl} binary, {@code redis-server}, …) is
 * missing on this machine, except in CI, where that peer must be there and its absence fails the
 * test instead of hiding it behind a green build.
 *
 * <pre>{@code
 * Peers.assumeAvailable(OpenSsl.isAvailable(), "BoringSSL (netty-tcnative)",
 *     () -> "it does not load here: " + OpenSsl.unavailabilityCause());
 * }</pre>
 *
 * <p>A run is CI when the environment variable {@code CI} is {@code true} (in any case): CI
 * services set it, and the project's CI runs {@code .ci/run} with it. Only peers that
 * {@code .ci/run} installs, or that the build brings as a dependency, belong here; what CI does
 * not have (a Docker engine) is skipped with JUnit's own assumptions, or better replaced by a
 * local fallback. The environment is read once, when the class loads. Needs
 * {@code junit-jupiter-api} on the test class path. Thread-safe.
 */
public final class Peers {

  private static final Peers PROCESS = new Peers(System::getenv);

  private final boolean required;

  private Peers(Function<String, String> environment) {
    this.required = "true".equalsIgnoreCase(environment.apply("CI"));
  }

  /** The check for a run whose environment variables are {@code environment}; for tests. */
  static Peers in(Map<String, String> environment) {
    Objects.requireNonNull(environment, "environment");
    return new Peers(Map.copyOf(environment)::get);
  }

  /**
   * Returns normally when the peer is there; otherwise skips the calling test with the reason, or,
   * in CI, fails it with a message that names the peer and says that {@code .ci/run} must install
   * it. Whether this is CI is read from this process's environment.
   *
   * @param present whether the peer is there
   * @param peer the peer's name as a reader knows it, e.g. {@code "redis-server"}, not null
   * @param why why it is missing, computed only when it is; not null
   * @throws org.opentest4j.TestAbortedException if the peer is missing outside CI: the test skips
   * @throws AssertionError if the peer is missing in CI: the test fails
   * @throws NullPointerException if {@code peer} or {@code why} is null
   */
  public static void assumeAvailable(boolean present, String peer, Supplier<String> why) {
    PROCESS.check(present, peer, why);
  }

  /**
   * Tells whether an executable of that name is in one of the {@code PATH} environment variable's
   * folders, as a shell would find it.
   *
   * @param command a command's file name, such as {@code "socat"}, not null
   * @return {@code true} if some folder of the {@code PATH} holds an executable file of that name
   */
  public static boolean onPath(String command) {
    Objects.requireNonNull(command, "command");
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String folder : path.split(java.io.File.pathSeparator)) {
      if (!folder.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(folder, command))) {
        return true;
      }
    }
    return false;
  }

  /** {@link #assumeAvailable}, in this instance's environment. */
  void check(boolean present, String peer, Supplier<String> why) {
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(why, "why");
    if (present) {
      return;
    }
    if (required) {
      throw new AssertionError(peer + " is missing and CI is true: .ci/run must install it, or the"
          + " tests that need it would be skipped unseen (" + why.get() + ")");
    }
    Assumptions.abort(peer + " is missing, skipping: " + why.get());
  }

  @Override
  public String toString() {
    return required ? "Peers[required: CI is true]" : "Peers[missing ones skip]";
  }
}
