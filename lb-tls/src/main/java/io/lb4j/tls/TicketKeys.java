package io.lb4j.tls;

import io.netty.handler.ssl.OpenSslServerSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The session-ticket keys of a {@code sessionTicketKeys} file, parsed: one base64 key of 48 bytes
 * per line (16 bytes of name, 16 of HMAC key, 16 of AES key), blank lines and {@code #} comments
 * ignored. The first key encrypts new tickets; every key decrypts. Immutable.
 *
 * <p>Several lb4j instances reading the same file resume each other's sessions: a ticket is
 * sealed with the shared key instead of one drawn at random by each process.
 */
final class TicketKeys {

  static final String SETTING = "sessionTicketKeys";

  /** A file of keys is a few lines; anything this large is a mistake. */
  private static final long MAX_FILE_SIZE = 64 * 1024;

  private final Path file;
  private final List<OpenSslSessionTicketKey> keys;
  private final byte[] digest;

  private TicketKeys(Path file, List<OpenSslSessionTicketKey> keys, byte[] digest) {
    this.file = file;
    this.keys = keys;
    this.digest = digest;
  }

  /**
   * Reads and parses the file.
   *
   * @throws TlsConfigException naming {@code sessionTicketKeys}, the file and, for a bad key,
   *     the line
   */
  static TicketKeys read(Path file) {
    byte[] bytes;
    try {
      if (Files.size(file) > MAX_FILE_SIZE) {
        throw fail(file, "file is larger than 64 KiB", null);
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw fail(file, "file not found", e);
    } catch (AccessDeniedException e) {
      throw fail(file, "permission denied", e);
    } catch (IOException e) {
      throw fail(file, "cannot be read: " + e, e);
    }
    return parse(file, bytes);
  }

  static TicketKeys parse(Path file, byte[] bytes) {
    List<OpenSslSessionTicketKey> keys = new ArrayList<>();
    String[] lines = new String(bytes, StandardCharsets.US_ASCII).split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      byte[] key;
      try {
        key = Base64.getDecoder().decode(line);
      } catch (IllegalArgumentException e) {
        throw fail(file, "line " + (i + 1) + ": not base64 (" + e.getMessage() + ")", e);
      }
      if (key.length != OpenSslSessionTicketKey.TICKET_KEY_SIZE) {
        throw fail(file, "line " + (i + 1) + ": the key has " + key.length + " bytes, not "
            + OpenSslSessionTicketKey.TICKET_KEY_SIZE + " (16 name, 16 HMAC, 16 AES)", null);
      }
      keys.add(split(key));
    }
    if (keys.isEmpty()) {
      throw fail(file, "no key found (one base64 key of 48 bytes a line)", null);
    }
    return new TicketKeys(file, List.copyOf(keys), MaterialFiles.digest(bytes));
  }

  /** Returns how many keys the file holds. */
  int count() {
    return keys.size();
  }

  Path file() {
    return file;
  }

  /** Returns the SHA-256 of the file's bytes. */
  byte[] digest() {
    return digest.clone();
  }

  /** Returns whether both were read from the same bytes. */
  boolean sameAs(TicketKeys other) {
    return other != null && Arrays.equals(digest, other.digest);
  }

  /**
   * Gives an OpenSSL server context these keys, replacing the ones it had: handshakes that start
   * afterwards seal and open tickets with them. Safe while the context serves handshakes (Netty
   * and netty-tcnative swap the keys under the context's write lock).
   *
   * @param trust a digest of the client CA bundle: a session made under another bundle is not
   *     resumed, so a CA change still sends every client through the full check
   * @throws IllegalArgumentException if the context is not an OpenSSL server context
   */
  void applyTo(SslContext context, byte[] trust) {
    if (!(context.sessionContext() instanceof OpenSslServerSessionContext sessions)) {
      throw new IllegalArgumentException("session-ticket keys need an OpenSSL server context");
    }
    sessions.setTicketKeys(keys.toArray(OpenSslSessionTicketKey[]::new));
    // BoringSSL refuses to resume a session whose context id differs from the context's (at most
    // 32 bytes; a SHA-256 fits exactly).
    sessions.setSessionIdContext(Arrays.copyOf(trust, 32));
  }

  private static OpenSslSessionTicketKey split(byte[] key) {
    int name = OpenSslSessionTicketKey.NAME_SIZE;
    int hmac = OpenSslSessionTicketKey.HMAC_KEY_SIZE;
    return new OpenSslSessionTicketKey(
        Arrays.copyOfRange(key, 0, name),
        Arrays.copyOfRange(key, name, name + hmac),
        Arrays.copyOfRange(key, name + hmac, key.length));
  }

  private static TlsConfigException fail(Path file, String reason, Throwable cause) {
    return TlsConfigException.of(SETTING, file + ": " + reason, cause);
  }
}
