package bulwark.upstream.discovery;

import bulwark.config.DiscoveryConfig;
import bulwark.config.HostPort;
import bulwark.config.TargetConfig;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One lookup of a discovery name: A and AAAA records of a name, or SRV records (lowest priority)
 * and the addresses of their hosts, turned into targets and the smallest TTL of what was used.
 */
final class DnsLookup {
  /** The targets an answer gives (sorted by URL, never empty) and its smallest TTL in seconds. */
  record Answer(List<TargetConfig> targets, long ttlSeconds) {}

  private record Addresses(List<InetAddress> addresses, long ttlSeconds) {}

  private record Srv(int priority, int weight, int port, String host, long ttlSeconds) {}

  private DnsLookup() {}

  static CompletableFuture<Answer> run(DnsNameResolver resolver, DiscoveryConfig d) {
    if (d.dns() != null) {
      HostPort hp = HostPort.parse(d.dns());
      return addresses(resolver, hp.host())
          .thenApply(
              a -> {
                Map<String, Integer> weights = new TreeMap<>();
                for (InetAddress ip : a.addresses())
                  weights.merge(url(ip, hp.port()), 1, Integer::sum);
                return answer(weights, a.ttlSeconds());
              });
    }
    return srv(resolver, d.srv());
  }

  private static CompletableFuture<Answer> srv(DnsNameResolver resolver, String name) {
    return query(resolver, name, DnsRecordType.SRV)
        .thenCompose(
            records -> {
              List<Srv> all = new ArrayList<>();
              for (Decoded r : records) {
                Srv s = (Srv) r.content();
                all.add(new Srv(s.priority(), s.weight(), s.port(), s.host(), r.ttlSeconds()));
              }
              if (all.isEmpty()) throw new DiscoveryException("no SRV records for " + name);
              int lowest = all.stream().mapToInt(Srv::priority).min().orElseThrow();
              List<Srv> group = all.stream().filter(s -> s.priority() == lowest).toList();
              Map<String, CompletableFuture<Addresses>> byHost = new LinkedHashMap<>();
              for (Srv s : group) byHost.computeIfAbsent(s.host(), h -> addresses(resolver, h));
              return CompletableFuture.allOf(
                      byHost.values().stream()
                          .map(f -> f.handle((a, e) -> a))
                          .toArray(CompletableFuture[]::new))
                  .thenApply(
                      ignored -> {
                        Map<String, Integer> weights = new TreeMap<>();
                        long ttl = group.stream().mapToLong(Srv::ttlSeconds).min().orElse(0);
                        Throwable firstError = null;
                        for (Srv s : group) {
                          CompletableFuture<Addresses> f = byHost.get(s.host());
                          if (f.isCompletedExceptionally()) {
                            if (firstError == null) firstError = f.exceptionNow();
                            continue;
                          }
                          Addresses a = f.join();
                          ttl = Math.min(ttl, a.ttlSeconds());
                          int w = Math.max(1, Math.min(1000, s.weight()));
                          for (InetAddress ip : a.addresses())
                            weights.merge(url(ip, s.port()), w, (x, y) -> Math.min(1000, x + y));
                        }
                        if (weights.isEmpty())
                          throw new DiscoveryException(
                              "no address for the SRV hosts of "
                                  + name
                                  + (firstError == null ? "" : ": " + message(firstError)));
                        return answer(weights, ttl);
                      });
            });
  }

  /** The A and AAAA records of {@code host}: fails only when both fail or both are empty. */
  private static CompletableFuture<Addresses> addresses(DnsNameResolver resolver, String host) {
    CompletableFuture<List<Decoded>> a = query(resolver, host, DnsRecordType.A);
    CompletableFuture<List<Decoded>> aaaa = query(resolver, host, DnsRecordType.AAAA);
    return CompletableFuture.allOf(a.handle((x, e) -> x), aaaa.handle((x, e) -> x))
        .thenApply(
            ignored -> {
              List<InetAddress> out = new ArrayList<>();
              long ttl = Long.MAX_VALUE;
              for (CompletableFuture<List<Decoded>> f : List.of(a, aaaa)) {
                if (f.isCompletedExceptionally()) continue;
                for (Decoded r : f.join()) {
                  out.add((InetAddress) r.content);
                  ttl = Math.min(ttl, r.ttlSeconds);
                }
              }
              if (out.isEmpty()) {
                if (a.isCompletedExceptionally())
                  throw new DiscoveryException(message(a.exceptionNow()));
                throw new DiscoveryException("no A or AAAA records for " + host);
              }
              return new Addresses(out, ttl);
            });
  }

  /** One record decoded: an InetAddress (A, AAAA) or an Srv, and its TTL. */
  private record Decoded(Object content, long ttlSeconds) {}

  private static CompletableFuture<List<Decoded>> query(
      DnsNameResolver resolver, String name, DnsRecordType type) {
    CompletableFuture<List<Decoded>> out = new CompletableFuture<>();
    resolver
        .resolveAll(new DefaultDnsQuestion(name, type))
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                out.completeExceptionally(f.cause());
                return;
              }
              @SuppressWarnings("unchecked")
              List<DnsRecord> records = (List<DnsRecord>) f.getNow();
              try {
                List<Decoded> decoded = new ArrayList<>();
                for (DnsRecord r : records) {
                  if (r.type() != type || !(r instanceof DnsRawRecord raw)) continue;
                  Object c = decode(type, raw.content());
                  if (c != null) decoded.add(new Decoded(c, Math.max(0, r.timeToLive())));
                }
                out.complete(decoded);
              } catch (RuntimeException e) {
                out.completeExceptionally(e);
              } finally {
                records.forEach(ReferenceCountUtil::release);
              }
            });
    return out;
  }

  private static Object decode(DnsRecordType type, ByteBuf content) {
    ByteBuf b = content.duplicate();
    try {
      if (type == DnsRecordType.SRV) {
        int priority = b.readUnsignedShort();
        int weight = b.readUnsignedShort();
        int port = b.readUnsignedShort();
        String host = DefaultDnsRecordDecoder.decodeName(b);
        return new Srv(priority, weight, port, host, 0);
      }
      byte[] ip = new byte[b.readableBytes()];
      b.readBytes(ip);
      return ip.length == 4 || ip.length == 16 ? InetAddress.getByAddress(ip) : null;
    } catch (Exception e) {
      throw new DiscoveryException("a malformed " + type.name() + " record: " + e.getMessage());
    }
  }

  private static String url(InetAddress ip, int port) {
    String a = NetUtil.toAddressString(ip);
    return "http://" + (a.contains(":") ? "[" + a + "]" : a) + ":" + port;
  }

  private static Answer answer(Map<String, Integer> weights, long ttl) {
    List<TargetConfig> ts = new ArrayList<>();
    weights.forEach((u, w) -> ts.add(new TargetConfig(u, w)));
    return new Answer(List.copyOf(ts), ttl);
  }

  /** A lookup failure as one line: the resolver's message and its cause's (the DNS rcode). */
  static String message(Throwable e) {
    while (e instanceof CompletionException && e.getCause() != null) e = e.getCause();
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    Throwable c = e.getCause();
    if (c != null && c.getMessage() != null && !m.contains(c.getMessage()))
      m = m + " (" + c.getMessage() + ")";
    return m.length() > 300 ? m.substring(0, 300) : m;
  }

  /** A lookup that gave no usable answer. */
  static final class DiscoveryException extends RuntimeException {
    DiscoveryException(String message) {
      super(message, null, false, false);
    }
  }
}
