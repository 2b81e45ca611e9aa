package io.lb4j.impl;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Set;

/**
 * A connected socket channel that is not the JDK's own selectable kind, as a channel from another
 * {@link SelectorProvider} or a decorator would be: every call goes to {@code real}, but no JDK
 * selector registers it, so an event loop refuses it.
 */
final class ForeignSocketChannel extends SocketChannel {
  private final SocketChannel real;

  ForeignSocketChannel(SocketChannel real) {
    super(SelectorProvider.provider());
    this.real = real;
  }

  @Override
  public SocketChannel bind(SocketAddress local) throws IOException {
    real.bind(local);
    return this;
  }

  @Override
  public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
    real.setOption(name, value);
    return this;
  }

  @Override
  public <T> T getOption(SocketOption<T> name) throws IOException {
    return real.getOption(name);
  }

  @Override
  public Set<SocketOption<?>> supportedOptions() {
    return real.supportedOptions();
  }

  @Override
  public SocketChannel shutdownInput() throws IOException {
    real.shutdownInput();
    return this;
  }

  @Override
  public SocketChannel shutdownOutput() throws IOException {
    real.shutdownOutput();
    return this;
  }

  @Override
  public Socket socket() {
    return real.socket();
  }

  @Override
  public boolean isConnected() {
    return real.isConnected();
  }

  @Override
  public boolean isConnectionPending() {
    return real.isConnectionPending();
  }

  @Override
  public boolean connect(SocketAddress remote) throws IOException {
    return real.connect(remote);
  }

  @Override
  public boolean finishConnect() throws IOException {
    return real.finishConnect();
  }

  @Override
  public SocketAddress getRemoteAddress() throws IOException {
    return real.getRemoteAddress();
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return real.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return real.read(dsts, offset, length);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return real.write(src);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return real.write(srcs, offset, length);
  }

  @Override
  public SocketAddress getLocalAddress() throws IOException {
    return real.getLocalAddress();
  }

  @Override
  protected void implCloseSelectableChannel() throws IOException {
    real.close();
  }

  @Override
  protected void implConfigureBlocking(boolean block) throws IOException {
    real.configureBlocking(block);
  }
}
