package io.lb4j.tls;

import java.io.IOException;

/** Runs client steps that are expected to fail, and returns how. */
final class TlsClientTry {

  private TlsClientTry() {}

  /**
   * Echoes up to {@code attempts} messages and returns the exception the first failing one ended
   * with, or null if every message came back.
   */
  static IOException echoUntilFailure(TlsClient client, int attempts) {
    for (int i = 0; i < attempts; i++) {
      try {
        client.echo("message " + i);
      } catch (IOException e) {
        return e;
      }
    }
    return null;
  }

  /**
   * Echoes up to {@code attempts} messages, expecting the server to cut the connection.
   *
   * @throws IOException the failure the first failing message ended with
   * @throws AssertionError if every message came back
   */
  static void echoUntilCutOff(TlsClient client, int attempts) throws IOException {
    IOException failed = echoUntilFailure(client, attempts);
    if (failed == null) {
      throw new AssertionError("all " + attempts + " messages came back: the server never refused");
    }
    throw failed;
  }
}
