package bulwark.proxy;

import bulwark.routing.Backends;
import bulwark.upstream.HashOn;
import bulwark.upstream.UpstreamRuntime;
import java.util.ArrayList;
import java.util.List;

/**
 * One request's choice among its route's backends: the first pick ({@link Backends#select}), then,
 * each time the backend admitted has no usable target, the next one to fall over to. Every backend
 * is asked at most once.
 */
final class BackendChoice {
  private final Backends backends;
  private final HashOn.Source key;

  /** The backends that had no usable target, in order (null until one had none). */
  private List<UpstreamRuntime> tried;

  BackendChoice(Backends backends, HashOn.Source key) {
    this.backends = backends;
    this.key = key;
  }

  UpstreamRuntime first() {
    return backends.select(key);
  }

  /** The backend to try after {@code none} had no usable target, or null (off, or none left). */
  UpstreamRuntime failover(UpstreamRuntime none) {
    if (tried == null) tried = new ArrayList<>(2);
    tried.add(none);
    return backends.failover(key, tried);
  }
}
