package io.lb4j.bench.load;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Command-line options of the bench mains, read by hand: lb-bench carries no CLI library, and
 * these mains need only {@code --name value}, {@code --name=value} and positional words.
 *
 * <p>Every getter names the option it reads, so {@link #rejectUnused()} can report an option that
 * was given but means nothing to the command. Not thread-safe.
 */
final class Args {

  private final List<String> positional = new ArrayList<>();
  private final Map<String, String> options = new LinkedHashMap<>();
  private final Set<String> used = new HashSet<>();

  private Args() {}

  /**
   * Splits {@code argv} into options and positional words.
   *
   * @throws UsageException if an option has no value
   */
  static Args parse(String[] argv) {
    Args args = new Args();
    for (int i = 0; i < argv.length; i++) {
      String word = argv[i];
      if (!word.startsWith("--") || word.length() == 2) {
        args.positional.add(word);
        continue;
      }
      int eq = word.indexOf('=');
      if (eq > 0) {
        args.options.put(word.substring(2, eq), word.substring(eq + 1));
      } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
        args.options.put(word.substring(2), argv[++i]);
      } else {
        // A bare flag, such as --help.
        args.options.put(word.substring(2), "true");
      }
    }
    return args;
  }

  List<String> positional() {
    return positional;
  }

  boolean has(String name) {
    used.add(name);
    return options.containsKey(name);
  }

  String string(String name, String fallback) {
    used.add(name);
    return options.getOrDefault(name, fallback);
  }

  String required(String name) {
    used.add(name);
    String value = options.get(name);
    if (value == null) {
      throw new UsageException("--" + name + " is required");
    }
    return value;
  }

  Path path(String name) {
    return Path.of(required(name));
  }

  int integer(String name, int fallback) {
    String value = string(name, null);
    if (value == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(value.replace("_", "").replace(",", ""));
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a whole number but was '" + value + "'");
    }
  }

  long longValue(String name, long fallback) {
    String value = string(name, null);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value.replace("_", "").replace(",", ""));
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a whole number but was '" + value + "'");
    }
  }

  /** Reads a duration written as {@code 500ms}, {@code 5s}, {@code 2m}, or bare seconds. */
  Duration duration(String name, Duration fallback) {
    String value = string(name, null);
    if (value == null) {
      return fallback;
    }
    String text = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (text.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
      }
      if (text.endsWith("s")) {
        return Duration.ofMillis(Math.round(Double.parseDouble(text.substring(0, text.length() - 1)) * 1000));
      }
      if (text.endsWith("m")) {
        return Duration.ofSeconds(Long.parseLong(text.substring(0, text.length() - 1)) * 60);
      }
      return Duration.ofMillis(Math.round(Double.parseDouble(text) * 1000));
    } catch (NumberFormatException e) {
      throw new UsageException(
          "--" + name + " must be a duration such as 500ms, 5s or 2m but was '" + value + "'");
    }
  }

  /**
   * Fails if an option was given that no getter asked for: a misspelt option must not silently
   * fall back to a default and measure something else.
   */
  void rejectUnused() {
    for (String name : options.keySet()) {
      if (!used.contains(name)) {
        throw new UsageException("unknown option --" + name);
      }
    }
  }

  /** A command line that cannot be run; the message says why, in one line. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
