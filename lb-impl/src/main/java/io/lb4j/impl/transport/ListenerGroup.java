package io.lb4j.impl.transport;

import io.netty.channel.Channel;
import io.netty.channel.unix.Buffer;
import io.netty.channel.unix.RawUnixChannelOption;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.lang.ref.Reference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Listening sockets that share one address through {@code SO_REUSEPORT} on Linux, as an old and a
 * new server process do while one replaces the other.
 *
 * <p>Why steering: the kernel spreads new connections over every socket of the group by a hash of
 * their addresses, so a process that wants to stop listening keeps receiving new connections until
 * its socket closes, and closing it resets whatever waits in its accept queue (unless the host set
 * {@code net.ipv4.tcp_migrate_req=1}, which moves them to a sibling). So the newest socket of the
 * group attaches a one-instruction classic BPF program ({@code SO_ATTACH_REUSEPORT_CBPF}, which
 * needs no privilege) that sends every new connection to its own index: the older sockets then
 * receive none, empty their accept queues by accepting, and close with nothing left to reset.
 *
 * <p>The kernel appends a joining socket to the group's array and, when one leaves, moves the last
 * into its place; an index the program returns that is beyond the array falls back to the hash.
 * The newest socket's index is the number of listeners on the address when it joined, less one,
 * read from {@code /proc/net/tcp} and {@code tcp6}. Once the older ones leave, the program's index
 * is beyond the array and the hash picks among what is left, which is the newest alone.
 *
 * <p>Linux and the epoll transport only. Every method reads {@code /proc} or calls the kernel and
 * may block briefly: never call one on an event loop. Its package is not exported: not API.
 */
public final class ListenerGroup {

  private static final int SOL_SOCKET = 1;
  private static final int SO_ATTACH_REUSEPORT_CBPF = 51;
  /** {@code struct sock_fprog} on a 64-bit kernel: a u16 length, padding, a pointer. */
  private static final int SOCK_FPROG_SIZE = 16;
  /** {@code struct sock_filter}: u16 code, u8 jt, u8 jf, u32 k. */
  private static final int SOCK_FILTER_SIZE = 8;
  /** {@code BPF_RET | BPF_K}: return the constant k. */
  private static final short BPF_RET_K = 0x06;
  private static final String LISTEN_STATE = "0A";
  private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
  private static final Path MIGRATE_REQ = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");

  private ListenerGroup() {}

  /**
   * Counts the TCP sockets listening on {@code address} in this network namespace, this
   * process's own included, as the kernel lists them.
   *
   * @param address a bound address (a concrete port)
   * @return the count, or -1 if the kernel's tables cannot be read
   */
  public static int listeners(InetSocketAddress address) {
    int count = 0;
    try {
      for (Path table : TABLES) {
        if (!Files.isReadable(table)) {
          continue;
        }
        for (String line : Files.readAllLines(table)) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && f[3].equals(LISTEN_STATE) && sameAddress(f[1], address)) {
            count++;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return count;
  }

  /**
   * Returns how many connections wait in {@code listener}'s accept queue, as the kernel lists it.
   *
   * @param listener a bound epoll server channel
   * @return the count, or -1 if it cannot be told
   */
  public static int acceptQueue(Channel listener) {
    try {
      String link = Files.readSymbolicLink(
          Path.of("/proc/self/fd/" + ((UnixChannel) listener).fd().intValue())).toString();
      if (!link.startsWith("socket:[")) {
        return -1;
      }
      String inode = link.substring("socket:[".length(), link.length() - 1);
      for (Path table : TABLES) {
        if (!Files.isReadable(table)) {
          continue;
        }
        for (String line : Files.readAllLines(table)) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && f[3].equals(LISTEN_STATE) && f[9].equals(inode)) {
            // For a listening socket, rx_queue is the length of its accept queue.
            return Integer.parseInt(f[4].substring(f[4].indexOf(':') + 1), 16);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /**
   * Sends every new connection of {@code listener}'s group to the socket at {@code index}.
   *
   * @param listener a bound epoll server channel that set {@code SO_REUSEPORT}
   * @param index the index in the group's array of the socket that is to take new connections
   * @throws IOException if the kernel refuses the program, or pointers are not 64 bits wide
   */
  public static void steerTo(Channel listener, int index) throws IOException {
    if (Buffer.addressSize() != 8) {
      throw new IOException("steering needs a 64-bit platform");
    }
    ByteBuffer filter = Buffer.allocateDirectWithNativeOrder(SOCK_FILTER_SIZE);
    try {
      filter.putShort(BPF_RET_K).put((byte) 0).put((byte) 0).putInt(index).flip();
      ByteBuffer program = ByteBuffer.allocate(SOCK_FPROG_SIZE).order(ByteOrder.nativeOrder());
      program.putShort((short) 1).putShort((short) 0).putInt(0)
          .putLong(Buffer.memoryAddress(filter)).flip();
      listener.config().setOption(
          new RawUnixChannelOption("SO_ATTACH_REUSEPORT_CBPF", SOL_SOCKET,
              SO_ATTACH_REUSEPORT_CBPF, SOCK_FPROG_SIZE),
          program);
    } catch (RuntimeException e) {
      throw new IOException(e.getMessage(), e);
    } finally {
      Reference.reachabilityFence(filter);
      Buffer.free(filter);
    }
  }

  /**
   * Tells whether the host moves a closing listener's waiting connections to another socket of its
   * group ({@code net.ipv4.tcp_migrate_req}, Linux 5.14 and later).
   *
   * @return true if on, false if off, null if the kernel has no such setting or it cannot be read
   */
  public static Boolean migratesRequests() {
    try {
      return Files.readString(MIGRATE_REQ).trim().equals("1");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Whether a {@code /proc/net/tcp*} local address field, {@code HEX-IP:HEX-PORT}, is {@code
   * address}. The kernel prints the address as 32-bit words in the host's byte order; an IPv4
   * address listened on by an IPv6 socket appears IPv4-mapped.
   */
  static boolean sameAddress(String field, InetSocketAddress address) {
    int colon = field.indexOf(':');
    if (Integer.parseInt(field.substring(colon + 1), 16) != address.getPort()) {
      return false;
    }
    byte[] bytes = decode(field.substring(0, colon));
    InetAddress listed;
    try {
      listed = InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return false;
    }
    // getByAddress turns an IPv4-mapped IPv6 address into the IPv4 address. A wildcard listener
    // may show as 0.0.0.0 or as :: depending on the socket's family: either is "any".
    InetAddress wanted = address.getAddress();
    return listed.equals(wanted) || (listed.isAnyLocalAddress() && wanted.isAnyLocalAddress());
  }

  private static byte[] decode(String hex) {
    byte[] bytes = new byte[hex.length() / 2];
    for (int word = 0; word < bytes.length / 4; word++) {
      int value = (int) Long.parseLong(hex.substring(word * 8, word * 8 + 8), 16);
      ByteBuffer.wrap(bytes, word * 4, 4).order(ByteOrder.nativeOrder()).putInt(value);
    }
    return bytes;
  }
}
