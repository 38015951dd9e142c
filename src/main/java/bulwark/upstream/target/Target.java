package bulwark.upstream.target;

import io.vertx.core.net.SocketAddress;
import java.util.Objects;

/** One target of one upstream in one config generation. */
public record Target(
    String key,
    String host,
    int port,
    boolean ssl,
    int weight,
    TargetState state,
    SocketAddress address) {

  public Target(String key, String host, int port, boolean ssl, int weight, TargetState state) {
    this(key, host, port, ssl, weight, state, SocketAddress.inetSocketAddress(port, host));
  }

  public Target {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(state, "state");
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be positive: " + weight);
    }
  }

  public boolean available() {
    return state.available();
  }
}
