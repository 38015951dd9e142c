package bulwark.upstream.discovery;

import bulwark.config.DiscoveryConfig;
import bulwark.config.Durations;
import bulwark.config.HostPort;
import bulwark.config.TargetConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopAuthoritativeDnsServerCache;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.resolver.dns.SequentialDnsServerAddressStreamProvider;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNS discovery of one upstream: looks its name up on a Netty event loop of its own (never a
 * Vert.x one), again when the answer's TTL runs out (at least {@link #FLOOR}, at most refresh), and
 * keeps the last good targets. A failed or empty lookup keeps them, is counted, and is logged once
 * per change between failing and succeeding. Its fields are written on its event loop only.
 */
public final class DnsDiscovery {
  private static final Logger LOG = LoggerFactory.getLogger(DnsDiscovery.class);

  /** The shortest time between two lookups, so that a TTL of 0 does not spin. */
  static final Duration FLOOR = Duration.ofSeconds(1);

  /** How long one DNS query waits for its answer. */
  static final long QUERY_TIMEOUT_MILLIS = 2000;

  private final String upstream;
  private final DiscoveryConfig config;
  private final EventLoop loop;
  private final DnsNameResolver resolver;
  private final Runnable onChange;
  private final CompletableFuture<Void> first = new CompletableFuture<>();
  private final AtomicLong lookups = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile List<TargetConfig> targets = List.of();
  private volatile String lastError;
  private volatile Instant lastLookup;
  private volatile Instant lastSuccess;
  private volatile Instant nextLookup;
  private volatile boolean failing;
  private volatile boolean closed;
  private ScheduledFuture<?> timer;

  /**
   * @param onChange called (on the discovery's event loop) when the targets change
   */
  DnsDiscovery(String upstream, DiscoveryConfig config, EventLoop loop, Runnable onChange) {
    this.upstream = upstream;
    this.config = config;
    this.loop = loop;
    this.onChange = onChange;
    this.resolver =
        new DnsNameResolverBuilder(loop)
            .datagramChannelType(NioDatagramChannel.class)
            .nameServerProvider(nameservers(config))
            .resolveCache(NoopDnsCache.INSTANCE)
            .cnameCache(NoopDnsCnameCache.INSTANCE)
            .authoritativeDnsServerCache(NoopAuthoritativeDnsServerCache.INSTANCE)
            .searchDomains(List.of())
            .queryTimeoutMillis(QUERY_TIMEOUT_MILLIS)
            .recursionDesired(true)
            .build();
  }

  private static DnsServerAddressStreamProvider nameservers(DiscoveryConfig config) {
    List<HostPort> ns = config.nameserverAddresses();
    if (ns.isEmpty()) return DnsServerAddressStreamProviders.platformDefault();
    return new SequentialDnsServerAddressStreamProvider(
        ns.stream()
            .map(h -> new InetSocketAddress(h.host(), h.port()))
            .toArray(InetSocketAddress[]::new));
  }

  void start() {
    loop.execute(this::lookup);
  }

  /** Completes when the first lookup has ended, successfully or not. */
  CompletableFuture<Void> first() {
    return first;
  }

  void close() {
    closed = true;
    loop.execute(
        () -> {
          if (timer != null) timer.cancel(false);
          resolver.close();
        });
  }

  private void lookup() {
    if (closed) return;
    lookups.incrementAndGet();
    lastLookup = Instant.now();
    DnsLookup.run(resolver, config).whenComplete((a, e) -> loop.execute(() -> answered(a, e)));
  }

  private void answered(DnsLookup.Answer answer, Throwable error) {
    if (closed) return;
    Duration next;
    boolean changed = false;
    if (error == null) {
      lastSuccess = Instant.now();
      lastError = null;
      changed = !answer.targets().equals(targets);
      if (failing || changed || !first.isDone()) {
        LOG.info(
            "upstream '{}': DNS discovery of {} found {} target(s){}",
            upstream,
            name(),
            answer.targets().size(),
            failing ? ", after failed lookups" : "");
      }
      failing = false;
      targets = answer.targets();
      next = Duration.ofSeconds(answer.ttlSeconds());
      if (next.compareTo(FLOOR) < 0) next = FLOOR;
      if (next.compareTo(config.refresh()) > 0) next = config.refresh();
    } else {
      failures.incrementAndGet();
      String why = DnsLookup.message(error);
      lastError = why;
      if (!failing) {
        LOG.warn(
            "upstream '{}': DNS lookup of {} failed, {}; retrying every {}: {}",
            upstream,
            name(),
            targets.isEmpty()
                ? "it has no targets yet"
                : "keeping its " + targets.size() + " last good target(s)",
            Durations.format(config.refresh()),
            why);
      }
      failing = true;
      next = config.refresh();
    }
    nextLookup = Instant.now().plus(next);
    timer = loop.schedule(this::lookup, next.toMillis(), TimeUnit.MILLISECONDS);
    first.complete(null);
    if (changed) onChange.run();
  }

  /** The name looked up, as configured (dns host:port, or the srv name). */
  public String name() {
    return config.dns() != null ? config.dns() : config.srv();
  }

  public DiscoveryConfig config() {
    return config;
  }

  /** The last good targets: empty until a lookup succeeded. */
  public List<TargetConfig> targets() {
    return targets;
  }

  /** The last lookup's error while lookups fail, else null. */
  public String lastError() {
    return lastError;
  }

  /** Lookups that failed or found nothing, since this discovery started. */
  public long failures() {
    return failures.get();
  }

  /** For the admin API's upstream view. */
  public Map<String, Object> info() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(config.dns() != null ? "dns" : "srv", name());
    m.put("status", failing ? "FAILING" : lastSuccess == null ? "PENDING" : "OK");
    m.put("targets", targets.size());
    m.put("lookups", lookups.get());
    m.put("failures", failures.get());
    m.put("lastLookup", lastLookup == null ? null : lastLookup.toString());
    m.put("lastSuccess", lastSuccess == null ? null : lastSuccess.toString());
    m.put("nextLookup", nextLookup == null ? null : nextLookup.toString());
    m.put("lastError", lastError);
    return m;
  }
}
