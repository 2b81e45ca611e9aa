package io.lb4j.testkit.ocsp;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenSSL's OCSP responder, {@code openssl ocsp -index index.txt -port ...}, run as a process
 * for a test: it answers about the certificates of one {@link TestPki}'s CA from an
 * {@link OcspIndex}, signing with a responder certificate of that CA (or with whatever key a test
 * wants to see refused).
 *
 * <pre>{@code
 * try (OpenSslOcspResponder responder = OpenSslOcspResponder.builder(dir, pki)
 *     .index(new OcspIndex().valid(alice.certificate()))
 *     .start()) {
 *   // ask responder.url(); responder.requests() counts what it was asked
 * }
 * }</pre>
 *
 * <p>It runs under {@code stdbuf -oL}, so that what it prints reaches {@link #requests()} at
 * once. {@link Builder#start()} returns once the responder prints that it waits for connections (it
 * is never probed: OpenSSL 3.0's responder spins forever on a connection closed without a
 * request). It listens on every interface (OpenSSL takes a port only); tests connect over
 * loopback. Skips the calling test where there is no {@code openssl} (or {@code stdbuf}) on the
 * PATH, and fails it under {@code CI=true}. {@link #close()} ends the process; register it to be closed after the
 * test, failed or not. Thread-safe.
 */
public final class OpenSslOcspResponder implements AutoCloseable {

  private static final Pattern ACCEPT = Pattern.compile("ACCEPT \\S*:(\\d+)");
  private static final String READY = "waiting for OCSP client connections";
  private static final String REQUEST = "OCSP Request Data:";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Process process;
  private final StringBuffer output;
  private final int port;

  private OpenSslOcspResponder(Process process, StringBuffer output, int port) {
    this.process = process;
    this.output = output;
    this.port = port;
  }

  /**
   * Starts a builder of a responder for {@code pki}'s CA, writing its files into {@code dir}.
   *
   * @param dir a folder for the index, the CA and the signer's files
   * @param pki the CA whose certificates it answers about
   */
  public static Builder builder(Path dir, TestPki pki) {
    return new Builder(dir, pki);
  }

  /**
   * Returns a loopback port that is free now, for a responder whose URL must be known before it
   * starts (to be written into certificates).
   */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  /** Returns the URL of the given port's responder on loopback: {@code http://127.0.0.1:port}. */
  public static String url(int port) {
    return "http://127.0.0.1:" + port;
  }

  /** Returns the responder's URL on loopback. */
  public String url() {
    return url(port);
  }

  /** Returns the port it listens on. */
  public int port() {
    return port;
  }

  /** Returns how many requests it has received (and printed) so far. */
  public int requests() {
    String text = output.toString();
    int count = 0;
    for (int at = text.indexOf(REQUEST); at >= 0; at = text.indexOf(REQUEST, at + 1)) {
      count++;
    }
    return count;
  }

  /** Returns everything it printed so far: requests and responses as text, errors. */
  public String output() {
    return output.toString();
  }

  /** Ends the process and waits for it (forcibly after 10 s). Idempotent. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "OpenSslOcspResponder[" + url() + ", pid " + process.pid() + "]";
  }

  /** Builds and starts a responder. Not thread-safe. */
  public static final class Builder {
    private final Path dir;
    private final TestPki pki;
    private IssuedCertificate signer;
    private OcspIndex index = new OcspIndex();
    private int port;
    private Duration nextUpdate;

    private Builder(Path dir, TestPki pki) {
      this.dir = Objects.requireNonNull(dir, "dir");
      this.pki = Objects.requireNonNull(pki, "pki");
    }

    /**
     * Signs answers with this certificate and key ({@code -rsigner}, {@code -rkey}) and includes
     * the certificate. Default: a new {@link TestPki#ocspResponder} of the PKI, which may sign
     * them; another CA's certificate, or one without the OCSP-signing usage, may not.
     */
    public Builder signer(IssuedCertificate signer) {
      this.signer = Objects.requireNonNull(signer, "signer");
      return this;
    }

    /** Answers from this index. Default: an empty one, every certificate unknown. */
    public Builder index(OcspIndex index) {
      this.index = Objects.requireNonNull(index, "index");
      return this;
    }

    /** Listens on this port. Default 0: a free port, which {@link #port()} then tells. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 to 65535 but was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Names a next update this far (whole minutes, {@code -nmin}) after each answer. Default: no
     * next update.
     */
    public Builder nextUpdate(Duration after) {
      Objects.requireNonNull(after, "after");
      if (after.toMinutes() < 1) {
        throw new IllegalArgumentException("nextUpdate must be at least a minute but was " + after);
      }
      this.nextUpdate = after;
      return this;
    }

    /**
     * Writes the files and starts the responder; returns once it waits for connections.
     *
     * @throws AssertionError if it exits or does not get ready within 20 s (with its output)
     */
    public OpenSslOcspResponder start() {
      Peers.assumeAvailable(Peers.onPath("openssl"), "the openssl binary",
          () -> "no openssl on the PATH (Debian package openssl), so no OCSP responder");
      // Writing to a pipe, openssl buffers what it prints, requests included, until it exits;
      // stdbuf makes it print each line as it comes, so requests() can count them.
      Peers.assumeAvailable(Peers.onPath("stdbuf"), "stdbuf",
          () -> "no stdbuf on the PATH (Debian package coreutils)");
      try {
        Files.createDirectories(dir);
        Path indexFile = index.write(dir.resolve("index.txt"));
        PemFiles ca = pki.ca().writePem(dir, "ocsp-ca");
        PemFiles signing = (signer == null ? pki.ocspResponder("lb4j test OCSP responder") : signer)
            .writePem(dir, "ocsp-signer");
        Path emptyConfig = Files.writeString(dir.resolve("ocsp-openssl.cnf"), "");
        List<String> command = new ArrayList<>(List.of("stdbuf", "-oL", "openssl", "ocsp",
            "-index", indexFile.toString(), "-port", Integer.toString(port),
            "-CA", ca.certificate().toString(),
            "-rsigner", signing.certificate().toString(),
            "-rkey", signing.privateKey().toString(),
            "-text"));
        if (nextUpdate != null) {
          command.addAll(List.of("-nmin", Long.toString(nextUpdate.toMinutes())));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("OPENSSL_CONF", emptyConfig.toString());
        Process process = builder.start();
        StringBuffer output = new StringBuffer();
        CountDownLatch readyOrEnded = new CountDownLatch(1);
        Thread reader = new Thread(() -> copy(process.getInputStream(), output, readyOrEnded),
            "openssl-ocsp-output");
        reader.setDaemon(true);
        reader.start();
        return awaitReady(process, output, readyOrEnded);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start openssl ocsp", e);
      }
    }

    private static OpenSslOcspResponder awaitReady(
        Process process, StringBuffer output, CountDownLatch readyOrEnded) {
      try {
        if (readyOrEnded.await(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
          String text = output.toString();
          Matcher accept = ACCEPT.matcher(text);
          if (text.contains(READY) && accept.find()) {
            return new OpenSslOcspResponder(process, output, Integer.parseInt(accept.group(1)));
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process.destroyForcibly();
      throw new AssertionError("openssl ocsp did not get ready within "
          + START_TIMEOUT.toSeconds() + " s:\n" + output);
    }

    /** Copies the output; counts the latch down once it says it is ready, or at its end. */
    private static void copy(InputStream in, StringBuffer output, CountDownLatch readyOrEnded) {
      byte[] buffer = new byte[4096];
      try (in) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          output.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
          if (readyOrEnded.getCount() > 0 && output.indexOf(READY) >= 0) {
            readyOrEnded.countDown();
          }
        }
      } catch (IOException e) {
        output.append("\n(reading the output failed: ").append(e).append(")\n");
      } finally {
        readyOrEnded.countDown();
      }
    }
  }
}
