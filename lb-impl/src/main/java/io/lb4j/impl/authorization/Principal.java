package io.lb4j.impl.authorization;

import java.util.Locale;
import java.util.Objects;

/**
 * One entry of an {@link AllowList} as written in a configuration: who is meant, and how the
 * certificate shows it. Immutable.
 *
 * @param kind which part of the identity is compared
 * @param value what it is compared with; lower-case for {@link Kind#DNS}
 * @param written the entry exactly as the user wrote it, for messages
 */
record Principal(Kind kind, String value, String written) {

  /** The part of a {@link io.lb4j.api.ClientIdentity} a principal is compared with. */
  enum Kind {
    /** The subject's common name; written bare ({@code alice}) or as {@code cn:alice}. */
    COMMON_NAME("cn:"),
    /** One of the subject's organisational units; written {@code group:ops}. */
    GROUP("group:"),
    /** One of the SAN URIs; written {@code uri:spiffe://example.org/api}. */
    URI("uri:"),
    /** One of the SAN DNS names, without regard to case; written {@code dns:api.example.org}. */
    DNS("dns:");

    final String prefix;

    Kind(String prefix) {
      this.prefix = prefix;
    }
  }

  static final String FORMS = "use a common name such as alice, cn:name, group:name, uri:value or dns:name";

  /**
   * Parses a principal.
   *
   * @param text as written, for example {@code group:ops}
   * @return the principal
   * @throws IllegalArgumentException if it is empty, has an unknown prefix, or names nothing
   */
  static Principal parse(String text) {
    Objects.requireNonNull(text, "principal");
    if (text.isBlank()) {
      throw new IllegalArgumentException("principal '" + text + "' is empty (" + FORMS + ")");
    }
    if (!text.equals(text.strip())) {
      throw new IllegalArgumentException(
          "principal '" + text + "' has spaces around it (" + FORMS + ")");
    }
    for (Kind kind : Kind.values()) {
      if (text.regionMatches(true, 0, kind.prefix, 0, kind.prefix.length())) {
        String value = text.substring(kind.prefix.length());
        if (value.isBlank()) {
          throw new IllegalArgumentException(
              "principal '" + text + "' names no " + kind.prefix.substring(0, kind.prefix.length() - 1)
                  + " (" + FORMS + ")");
        }
        return new Principal(kind, kind == Kind.DNS ? value.toLowerCase(Locale.ROOT) : value, text);
      }
    }
    if (text.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          "principal '" + text + "' is of an unknown form (" + FORMS + ")");
    }
    return new Principal(Kind.COMMON_NAME, text, text);
  }
}
