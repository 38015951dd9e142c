package bulwark.server;

import bulwark.proxy.Snapshot;
import bulwark.upstream.UpstreamRuntime;
import bulwark.upstream.discovery.Discoveries;
import bulwark.upstream.target.TargetStates;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * The upstream steps of publishing a snapshot: retiring replaced pools, starting new ones, pruning
 * target state.
 */
final class Upstreams {
  private Upstreams() {}

  /**
   * Retires the upstreams of {@code old} that {@code next} replaced (first, so their health checks
   * stop before the new ones start on the same targets); their pools close once their requests
   * finish.
   */
  static void retireReplaced(Snapshot old, Snapshot next) {
    old.table()
        .upstreams()
        .forEach(
            (name, u) -> {
              if (next.table().upstreams().get(name) != u) u.retire();
            });
  }

  /** Starts the upstreams of {@code next} that {@code old} (null at startup) did not have. */
  static void startNew(Vertx vertx, Snapshot old, Snapshot next) {
    for (UpstreamRuntime u : next.table().upstreams().values()) {
      if (old == null || old.table().upstreams().get(u.name()) != u) u.start(vertx);
    }
  }

  /** Forgets what was learned about targets that no upstream of {@code next} has any more. */
  static void pruneStates(TargetStates states, Snapshot next) {
    List<String> keys = new ArrayList<>();
    next.table().upstreams().values().forEach(u -> u.targets().forEach(t -> keys.add(t.key())));
    states.retainOnly(keys);
  }

  /**
   * Tells each upstream of {@code next} with DNS discovery which discovery its targets come from.
   */
  static void attachDiscoveries(Discoveries discoveries, Snapshot next) {
    for (UpstreamRuntime u : next.table().upstreams().values()) {
      u.discovery(discoveries.of(next.config(), u.name()));
    }
  }
}
