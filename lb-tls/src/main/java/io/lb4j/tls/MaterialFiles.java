package io.lb4j.tls;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a factory's PEM files live, and reading all of them at one moment. The digest of their bytes
 * tells a reload whether anything changed; it reads contents rather than trusting modification
 * times, which are coarse on some file systems and kept by some copy tools.
 */
record MaterialFiles(Path certificateChain, Path privateKey, Path clientCa, List<Path> crls) {

  /** Larger than any sane PEM bundle; a bigger file is a mistake, not a certificate. */
  private static final long MAX_FILE_SIZE = 1 << 20;
  /** A revocation list of a large CA holds hundreds of thousands of entries, 40 bytes or so each. */
  private static final long MAX_CRL_FILE_SIZE = 64 << 20;

  MaterialFiles {
    crls = List.copyOf(crls);
  }

  /**
   * Reads the files.
   *
   * @throws TlsConfigException naming the setting and path of a file that is missing, unreadable
   *     or too large
   */
  Snapshot read() {
    byte[] chain = read("certificateChain", certificateChain, MAX_FILE_SIZE);
    byte[] key = read("privateKey", privateKey, MAX_FILE_SIZE);
    byte[] ca = read("clientCa", clientCa, MAX_FILE_SIZE);
    List<byte[]> lists = new ArrayList<>(crls.size());
    List<byte[]> parts = new ArrayList<>(List.of(chain, key, ca));
    for (Path crl : crls) {
      byte[] bytes = read("crls", crl, MAX_CRL_FILE_SIZE);
      lists.add(bytes);
      parts.add(bytes);
    }
    return new Snapshot(chain, key, ca, List.copyOf(lists),
        digest(parts.toArray(new byte[0][])));
  }

  /**
   * The bytes of the files and a SHA-256 over all of them.
   *
   * @param crls the revocation lists' bytes, in the order of {@link MaterialFiles#crls()}
   */
  record Snapshot(byte[] chain, byte[] key, byte[] ca, List<byte[]> crls, byte[] digest) {}

  private static byte[] read(String setting, Path path, long maxSize) {
    try {
      if (Files.size(path) > maxSize) {
        throw Pem.fail(setting, path, "file is larger than " + (maxSize >> 20) + " MiB", null);
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
