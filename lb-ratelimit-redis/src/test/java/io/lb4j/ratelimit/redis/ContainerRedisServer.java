package io.lb4j.ratelimit.redis;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * Redis in a container. The host port is fixed when the container is created, so that stopping
 * and starting the container keeps it, as a restarted {@code redis-server} would.
 */
final class ContainerRedisServer extends RedisServer {

  private static final int REDIS_PORT = 6379;

  private final int hostPort;
  private final GenericContainer<?> container;

  @SuppressWarnings("resource") // closed in close()
  ContainerRedisServer() {
    this.hostPort = freeLoopbackPort();
    this.container = new GenericContainer<>(DockerImageName.parse("redis:7-alpine"))
        .withCommand("redis-server", "--save", "", "--appendonly", "no")
        .withExposedPorts(REDIS_PORT)
        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
            new PortBinding(
                Ports.Binding.bindIpAndPort("127.0.0.1", hostPort), new ExposedPort(REDIS_PORT))));
    container.start();
    awaitAnswering();
  }

  @Override
  String host() {
    return "127.0.0.1";
  }

  @Override
  int port() {
    return hostPort;
  }

  @Override
  void stop() {
    DockerClientFactory.instance().client().stopContainerCmd(container.getContainerId()).exec();
  }

  @Override
  void restart() {
    DockerClientFactory.instance().client().startContainerCmd(container.getContainerId()).exec();
    awaitAnswering();
  }

  @Override
  public void close() {
    container.stop();
  }
}
