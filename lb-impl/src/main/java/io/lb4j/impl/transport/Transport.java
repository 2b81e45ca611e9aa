package io.lb4j.impl.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.ThreadFactory;

/**
 * The Netty transport lb4j runs on: native epoll on Linux where its library loads, NIO elsewhere.
 * Its package is not exported by lb4j's module: this is not API.
 */
public enum Transport {
  /** Linux native epoll. */
  EPOLL(EpollSocketChannel.class, EpollServerSocketChannel.class, EpollDatagramChannel.class),
  /** The JDK's NIO selector, everywhere. */
  NIO(NioSocketChannel.class, NioServerSocketChannel.class, NioDatagramChannel.class);

  private final Class<? extends SocketChannel> socketChannel;
  private final Class<? extends ServerChannel> serverChannel;
  private final Class<? extends DatagramChannel> datagramChannel;

  Transport(
      Class<? extends SocketChannel> socketChannel,
      Class<? extends ServerChannel> serverChannel,
      Class<? extends DatagramChannel> datagramChannel) {
    this.socketChannel = socketChannel;
    this.serverChannel = serverChannel;
    this.datagramChannel = datagramChannel;
  }

  /**
   * Returns epoll where it is available, else NIO. The system property {@code lb4j.transport=nio}
   * forces NIO.
   */
  public static Transport best() {
    if ("nio".equalsIgnoreCase(System.getProperty("lb4j.transport"))) {
      return NIO;
    }
    return Epoll.isAvailable() ? EPOLL : NIO;
  }

  /** Returns the class of a client or upstream socket channel of this transport. */
  public Class<? extends SocketChannel> socketChannel() {
    return socketChannel;
  }

  /** Returns the class of a listening channel of this transport. */
  public Class<? extends ServerChannel> serverChannel() {
    return serverChannel;
  }

  /**
   * Returns the class of a UDP channel of this transport, which DNS queries use: a channel runs
   * only on an event loop of its own transport.
   */
  public Class<? extends DatagramChannel> datagramChannel() {
    return datagramChannel;
  }

  /**
   * Creates an event-loop group of this transport.
   *
   * @param threads the number of threads, 0 for Netty's default (twice the cores)
   * @param threadFactory names the threads
   * @return the group; the caller shuts it down
   */
  public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
    IoHandlerFactory io = this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, threadFactory, io);
  }
}
