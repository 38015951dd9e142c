package bulwark.upstream;

import bulwark.config.UpstreamConfig;
import bulwark.upstream.health.UpstreamHealth;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Set;

/**
 * One upstream of one config generation: its targets (whose live state outlives reloads), its
 * balancer and its timeouts. A reload that leaves an upstream's config unchanged reuses this object,
 * and with it the upstream connection pools.
 */
public final class UpstreamRuntime {
  /** What consistent_hash hashes on. */
  public enum HashOn { CLIENT_IP, HEADER, COOKIE, PATH }

  private final String name;
  private final UpstreamConfig config;
  private final List<Target> targets;
  private final Balancer balancer;
  private final HashOn hashOn;
  private final String hashName;
  private final UpstreamHealth health;
  private volatile boolean retired;

  public UpstreamRuntime(String name, UpstreamConfig config, TargetStates states) {
    this.name = name;
    this.config = config;
    this.targets = config.targets().stream().map(t -> {
      java.net.URI u = java.net.URI.create(t.url());
      boolean ssl = "https".equals(u.getScheme());
      int port = u.getPort() > 0 ? u.getPort() : ssl ? 443 : 80;
      String host = u.getHost().startsWith("[") ? u.getHost().substring(1, u.getHost().length() - 1) : u.getHost();
      String key = (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
      return new Target(key, host, port, ssl, t.weight(), states.stateFor(key));
    }).toList();
    this.balancer = Balancers.newBalancer(config.balancer(), targets);
    this.health = UpstreamHealth.of(name, config.healthCheck(), targets);
    String h = config.hashOn();
    if (h.startsWith("header:")) {
      hashOn = HashOn.HEADER;
      hashName = h.substring(7);
    } else if (h.startsWith("cookie:")) {
      hashOn = HashOn.COOKIE;
      hashName = h.substring(7);
    } else {
      hashOn = h.equals("path") ? HashOn.PATH : HashOn.CLIENT_IP;
      hashName = null;
    }
  }

  public String name() {
    return name;
  }

  public UpstreamConfig config() {
    return config;
  }

  public List<Target> targets() {
    return targets;
  }

  public Balancer balancer() {
    return balancer;
  }

  public boolean usesHash() {
    return "consistent_hash".equals(config.balancer());
  }

  public HashOn hashOn() {
    return hashOn;
  }

  public String hashName() {
    return hashName;
  }

  public long connectMillis() {
    return config.timeouts().connect().toMillis();
  }

  public long responseMillis() {
    return config.timeouts().response().toMillis();
  }

  /** Set when a reload replaced this upstream; its connection pools are then shut down gracefully. */
  public boolean retired() {
    return retired;
  }

  public void retire() {
    retired = true;
    health.stop();
  }

  /** Starts background work (active health checks). Called once the table holding it is published. */
  public void start(Vertx vertx) {
    health.start(vertx);
  }

  public UpstreamHealth health() {
    return health;
  }

  /**
   * Picks a usable target not in {@code exclude} (the targets this request already tried), or null.
   * With health panic mode on and nothing usable, any target not excluded.
   */
  public Target pick(String hashKey, Set<Target> exclude) {
    return balancer.pick(hashKey, exclude);
  }

  /** Reports how one try against a target ended: feeds passive health (and breakers). Any thread. */
  public void recordOutcome(Target target, Outcome outcome) {
    health.onOutcome(target, outcome);
  }
}
