package io.lb4j.impl.transport;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.ThreadFactory;

/**
 * The Netty transport lb4j runs on: native epoll on Linux where its library loads, NIO elsewhere.
 * Internal to lb4j; not API.
 */
public enum Transport {
  /** Linux native epoll. */
  EPOLL(EpollSocketChannel.class, EpollServerSocketChannel.class),
  /** The JDK's NIO selector, everywhere. */
  NIO(NioSocketChannel.class, NioServerSocketChannel.class);

  private final Class<? extends Channel> socketChannel;
  private final Class<? extends ServerChannel> serverChannel;

  Transport(Class<? extends Channel> socketChannel, Class<? extends ServerChannel> serverChannel) {
    this.socketChannel = socketChannel;
    this.serverChannel = serverChannel;
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
  public Class<? extends Channel> socketChannel() {
    return socketChannel;
  }

  /** Returns the class of a listening channel of this transport. */
  public Class<? extends ServerChannel> serverChannel() {
    return serverChannel;
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
