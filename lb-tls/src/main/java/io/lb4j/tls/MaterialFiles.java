package io.lb4j.tls;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Where a factory's PEM files live, and reading all three at one moment. The digest of their bytes
 * tells a reload whether anything changed; it reads contents rather than trusting modification
 * times, which are coarse on some file systems and kept by some copy tools.
 */
record MaterialFiles(Path certificateChain, Path privateKey, Path clientCa) {

  /** Larger than any sane PEM bundle; a bigger file is a mistake, not a certificate. */
  private static final long MAX_FILE_SIZE = 1 << 20;

  /**
   * Reads the three files.
   *
   * @throws TlsConfigException naming the setting and path of a file that is missing, unreadable
   *     or too large
   */
  Snapshot read() {
    byte[] chain = read("certificateChain", certificateChain);
    byte[] key = read("privateKey", privateKey);
    byte[] ca = read("clientCa", clientCa);
    return new Snapshot(chain, key, ca, digest(chain, key, ca));
  }

  /** The bytes of the three files and a SHA-256 over all of them. */
  record Snapshot(byte[] chain, byte[] key, byte[] ca, byte[] digest) {}

  private static byte[] read(String setting, Path path) {
    try {
      if (Files.size(path) > MAX_FILE_SIZE) {
        throw Pem.fail(setting, path, "file is larger than 1 MiB", null);
      }
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw Pem.fail(setting, path, "file not found", e);
    } catch (AccessDeniedException e) {
      throw Pem.fail(setting, path, "permission denied", e);
    } catch (IOException e) {
      throw Pem.fail(setting, path, "cannot be read: " + e, e);
    }
  }

  static byte[] digest(byte[]... parts) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      for (byte[] part : parts) {
        // Length-prefix each part so moving bytes from one file to the next changes the digest.
        sha256.update(new byte[] {
          (byte) (part.length >>> 24), (byte) (part.length >>> 16),
          (byte) (part.length >>> 8), (byte) part.length
        });
        sha256.update(part);
      }
      return sha256.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
