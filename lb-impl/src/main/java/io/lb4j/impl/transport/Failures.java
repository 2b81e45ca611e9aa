package io.lb4j.impl.transport;

/** How lb4j names a failure in one line: refusal details, health-check and connect logs. */
public final class Failures {

  private Failures() {}

  /**
   * Describes a failure by its root cause: the innermost cause's message, or its class's simple
   * name when it has no message. Netty wraps the reason (a refused connect, a bad certificate) in
   * layers whose own messages only repeat it.
   *
   * @param failure the failure; may be null
   * @return one line, never null; {@code "unknown error"} for null
   */
  public static String describe(Throwable failure) {
    if (failure == null) {
      return "unknown error";
    }
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null ? root.getClass().getSimpleName() : message;
  }
}
