package bulwark.upstream.discovery;

import bulwark.config.BulwarkConfig;
import bulwark.config.DiscoveryConfig;
import bulwark.config.UpstreamConfig;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The DNS discoveries of the serving config, one per upstream with a discovery section (kept while
 * its name and settings stay the same). {@link #apply} turns a config into the one to serve: each
 * such upstream's targets are the ones its discovery found last. When an answer changes the
 * targets, the change listener (the gateway, which publishes the config again) is called on a
 * thread of its own. Lookups run on one Netty event loop thread, created on first use.
 */
public final class Discoveries implements AutoCloseable {
  /** How long {@link #apply} waits for the first lookup of a new discovery. */
  static final long FIRST_WAIT_MILLIS = 5000;

  private record Key(String upstream, DiscoveryConfig config) {}

  private final Map<Key, DnsDiscovery> running = new ConcurrentHashMap<>();
  private final Runnable onChange;
  private EventLoopGroup group;
  private ExecutorService notifier;

  /**
   * @param onChange publishes the config again; called on a thread of its own, one call at a time
   */
  public Discoveries(Runnable onChange) {
    this.onChange = onChange;
  }

  /**
   * {@code cfg} with the targets of each discovery upstream set to what its discovery found last.
   * Starts the discoveries {@code cfg} adds, and waits (up to 5 s, and not on an event loop) for
   * their first lookups; what they find later is published through the change listener. Returns
   * {@code cfg} itself when it has no discovery.
   */
  public synchronized BulwarkConfig apply(BulwarkConfig cfg) {
    List<CompletableFuture<Void>> firsts = new ArrayList<>();
    Map<String, DnsDiscovery> found = new LinkedHashMap<>();
    cfg.upstreams()
        .forEach(
            (name, u) -> {
              if (u.discovery() == null) return;
              DnsDiscovery d = running.get(new Key(name, u.discovery()));
              if (d == null) {
                d = start(name, u.discovery());
                firsts.add(d.first());
              }
              found.put(name, d);
            });
    if (found.isEmpty()) return cfg;
    if (!firsts.isEmpty() && !Context.isOnEventLoopThread()) {
      try {
        CompletableFuture.allOf(firsts.toArray(CompletableFuture[]::new))
            .get(FIRST_WAIT_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        // still looking: the answer comes through the change listener
      }
    }
    Map<String, UpstreamConfig> ups = new LinkedHashMap<>();
    cfg.upstreams()
        .forEach(
            (name, u) -> {
              DnsDiscovery d = found.get(name);
              ups.put(name, d == null ? u : u.withTargets(d.targets()));
            });
    return cfg.withUpstreams(ups);
  }

  /**
   * The discovery of upstream {@code name} as {@code cfg} (a config {@link #apply} made) has it.
   */
  public DnsDiscovery of(BulwarkConfig cfg, String name) {
    UpstreamConfig u = cfg.upstreams().get(name);
    return u == null || u.discovery() == null ? null : running.get(new Key(name, u.discovery()));
  }

  /** Stops the discoveries that {@code cfg} (the config just published) does not have. */
  public synchronized void retain(BulwarkConfig cfg) {
    Set<Key> keep = new HashSet<>();
    cfg.upstreams()
        .forEach(
            (name, u) -> {
              if (u.discovery() != null) keep.add(new Key(name, u.discovery()));
            });
    running
        .entrySet()
        .removeIf(
            e -> {
              if (keep.contains(e.getKey())) return false;
              e.getValue().close();
              return true;
            });
  }

  private DnsDiscovery start(String name, DiscoveryConfig dc) {
    if (group == null) {
      group =
          new MultiThreadIoEventLoopGroup(
              1, new DefaultThreadFactory("bulwark-dns", true), NioIoHandler.newFactory());
      notifier =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "bulwark-discovery-publish");
                t.setDaemon(true);
                return t;
              });
    }
    ExecutorService n = notifier;
    DnsDiscovery d = new DnsDiscovery(name, dc, group.next(), () -> n.execute(onChange));
    running.put(new Key(name, dc), d);
    d.start();
    return d;
  }

  @Override
  public synchronized void close() {
    running.values().forEach(DnsDiscovery::close);
    running.clear();
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      notifier.shutdownNow();
    }
  }
}
