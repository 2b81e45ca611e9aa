package io.lb4j.bench.soak;

import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.testkit.data.TestData;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.function.BooleanSupplier;

/**
 * Client ends of checked streams: {@link io.lb4j.testkit.data.TestData} sent through lb4j to an
 * echo host and compared as it comes back, or read from a source host and compared, on a
 * connected socket (plain or TLS). Every byte that arrives is checked, also on a connection cut
 * short, so a stream ends {@link Outcome#COMPLETED}, {@link Outcome#CUT} with an intact prefix,
 * {@link Outcome#CORRUPT} or {@link Outcome#HUNG}; never with an unexplained exception.
 *
 * <p>The socket's read timeout (set by the caller) is what tells a hung stream. The socket is
 * left open: the caller closes it, after looking up lb4j's event for it if it wants to.
 * Thread-safe: each call uses only its own socket and buffers.
 */
public final class CheckedStreams {

  private CheckedStreams() {}

  /**
   * Echoes {@code length} bytes in lock-step rounds of {@code chunk} bytes: each round is written,
   * then read back and checked before the next is written, so the client never holds more than
   * one round and the echo path never needs more buffering than that.
   *
   * @param socket a connected socket whose peer, through lb4j, echoes
   * @param length how many bytes to send
   * @param chunk the bytes per round, at least 1
   * @return the outcome, with the bytes sent and verified
   */
  public static StreamResult echo(Socket socket, long length, int chunk) {
    return echo(socket, length, chunk, () -> true, () -> {});
  }

  /**
   * Echoes like {@link #echo(Socket, long, int)}, with two hooks for tests that inject a fault
   * while streams are open.
   *
   * @param socket a connected socket whose peer, through lb4j, echoes
   * @param maxLength the most bytes to send
   * @param chunk the bytes per round, at least 1
   * @param more asked before each round after the first; false ends the stream (completed)
   * @param afterFirstRound run once, after the first round came back intact; may block
   * @return the outcome, with the bytes sent and verified
   */
  public static StreamResult echo(
      Socket socket, long maxLength, int chunk, BooleanSupplier more, Runnable afterFirstRound) {
    if (chunk < 1) {
      throw new IllegalArgumentException("chunk must be at least 1 but was " + chunk);
    }
    byte[] out = new byte[chunk];
    byte[] in = new byte[chunk];
    TestData.Checksum received = TestData.checksum();
    long sent = 0;
    try {
      OutputStream os = socket.getOutputStream();
      InputStream is = socket.getInputStream();
      while (sent < maxLength && (sent == 0 || more.getAsBoolean())) {
        int n = (int) Math.min(chunk, maxLength - sent);
        TestData.fill(out, 0, n, sent);
        os.write(out, 0, n);
        os.flush();
        sent += n;
        int got = 0;
        while (got < n) {
          int r = is.read(in, 0, n - got);
          if (r < 0) {
            return cut(socket, sent, received, "end of stream");
          }
          received.update(in, 0, r);
          got += r;
        }
        if (sent == n) {
          afterFirstRound.run();
        }
      }
      return end(socket, Outcome.COMPLETED, sent, received, "");
    } catch (SocketTimeoutException e) {
      return end(socket, Outcome.HUNG, sent, received, "no byte for the read timeout");
    } catch (IOException e) {
      return cut(socket, sent, received, e.toString());
    }
  }

  /**
   * Echoes {@code length} bytes with the writing on a thread of its own, as fast as the path takes
   * them, while this thread reads them back and checks them: unlike the lock-step
   * {@link #echo(Socket, long, int)}, bytes pile up wherever the path is slow.
   *
   * @param socket a connected socket whose peer, through lb4j, echoes
   * @param length how many bytes to send
   * @return the outcome; {@link StreamResult#bytesSent()} counts what the writer wrote
   */
  public static StreamResult pipelinedEcho(Socket socket, long length) {
    java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
    Thread writer = new Thread(() -> {
      byte[] out = new byte[64 * 1024];
      try {
        OutputStream os = socket.getOutputStream();
        while (written.get() < length) {
          int n = (int) Math.min(out.length, length - written.get());
          TestData.fill(out, 0, n, written.get());
          os.write(out, 0, n);
          written.addAndGet(n);
        }
        os.flush();
      } catch (IOException e) {
        // the reader sees the connection end too
      }
    }, "pipelined-echo-writer");
    writer.setDaemon(true);
    writer.start();
    byte[] in = new byte[64 * 1024];
    TestData.Checksum received = TestData.checksum();
    try {
      InputStream is = socket.getInputStream();
      while (received.length() < length) {
        int r = is.read(in, 0, (int) Math.min(in.length, length - received.length()));
        if (r < 0) {
          return cut(socket, written.get(), received, "end of stream");
        }
        received.update(in, 0, r);
      }
      return end(socket, Outcome.COMPLETED, written.get(), received, "");
    } catch (SocketTimeoutException e) {
      return end(socket, Outcome.HUNG, written.get(), received, "no byte for the read timeout");
    } catch (IOException e) {
      return cut(socket, written.get(), received, e.toString());
    }
  }

  /**
   * Reads to the end of the stream from a source host, expecting {@code expected} bytes.
   *
   * @param socket a connected socket whose peer, through lb4j, sends TestData and ends
   * @param expected how many bytes a complete stream has
   * @return COMPLETED if exactly those bytes came, intact, then the end of the stream
   */
  public static StreamResult download(Socket socket, long expected) {
    return download(socket, expected, Long.MAX_VALUE);
  }

  /**
   * Reads from a source host like {@link #download(Socket, long)}, stopping after {@code limit}
   * bytes (then the stream counts as complete if those bytes are intact).
   *
   * @param socket a connected socket whose peer, through lb4j, sends TestData
   * @param expected how many bytes a complete stream has
   * @param limit the most bytes to read
   * @return the outcome
   */
  public static StreamResult download(Socket socket, long expected, long limit) {
    return download(socket, expected, limit, Long.MAX_VALUE, () -> {});
  }

  /**
   * Reads from a source host like {@link #download(Socket, long, long)}, running {@code atMark}
   * once when {@code mark} bytes have arrived: for tests that inject a fault mid-stream.
   *
   * @param socket a connected socket whose peer, through lb4j, sends TestData
   * @param expected how many bytes a complete stream has
   * @param limit the most bytes to read
   * @param mark after how many bytes {@code atMark} runs
   * @param atMark what to run then; may block
   * @return the outcome
   */
  public static StreamResult download(
      Socket socket, long expected, long limit, long mark, Runnable atMark) {
    byte[] in = new byte[64 * 1024];
    TestData.Checksum received = TestData.checksum();
    boolean marked = false;
    try {
      InputStream is = socket.getInputStream();
      while (received.length() < limit) {
        long want = Math.min(in.length, limit - received.length());
        if (!marked) {
          want = Math.min(want, mark - received.length());
        }
        int r = is.read(in, 0, (int) want);
        if (r < 0) {
          break;
        }
        received.update(in, 0, r);
        if (!marked && received.length() == mark) {
          marked = true;
          atMark.run();
        }
      }
      boolean whole = received.length() == Math.min(expected, limit);
      return whole
          ? end(socket, Outcome.COMPLETED, 0, received, "")
          : cut(socket, 0, received, "end of stream after " + received.length() + " bytes");
    } catch (SocketTimeoutException e) {
      return end(socket, Outcome.HUNG, 0, received, "no byte for the read timeout");
    } catch (IOException e) {
      return cut(socket, 0, received, e.toString());
    }
  }

  private static StreamResult cut(Socket socket, long sent, TestData.Checksum received, String why) {
    return end(socket, Outcome.CUT, sent, received, why);
  }

  // Whatever the outcome, the bytes that did arrive must be the stream's prefix.
  private static StreamResult end(
      Socket socket, Outcome outcome, long sent, TestData.Checksum received, String detail) {
    if (received.value() != TestData.checksumOf(received.length())) {
      return new StreamResult(Outcome.CORRUPT, sent, received.length(), socket.getLocalPort(),
          "the " + received.length() + " bytes received do not match the stream (" + detail + ")");
    }
    return new StreamResult(outcome, sent, received.length(), socket.getLocalPort(), detail);
  }
}
