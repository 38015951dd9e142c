package bulwark.it;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real DNS server over UDP on a loopback port, for tests: answers A, AAAA and SRV questions from
 * a zone the test changes while it runs, with the TTLs it chooses; a name can answer SERVFAIL or
 * NXDOMAIN (an unknown name does), and every question is counted.
 */
final class DnsServer implements AutoCloseable {
  /** One record: its type, TTL in seconds and RDATA. */
  record Rr(DnsRecordType type, long ttl, byte[] data) {}

  /** What a name answers: its records, or an error code. */
  private record Entry(List<Rr> records, DnsResponseCode code) {}

  private final Map<String, Entry> zone = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel channel;

  DnsServer() throws InterruptedException {
    channel =
        new Bootstrap()
            .group(group)
            .channel(NioDatagramChannel.class)
            .handler(
                new ChannelInitializer<DatagramChannel>() {
                  @Override
                  protected void initChannel(DatagramChannel ch) {
                    ch.pipeline()
                        .addLast(new DatagramDnsQueryDecoder())
                        .addLast(new DatagramDnsResponseEncoder())
                        .addLast(new Answerer());
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
  }

  /** The address to configure as a nameserver, 127.0.0.1:port. */
  String address() {
    return "127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Sets what {@code name} answers (replacing what it answered). */
  void set(String name, Rr... records) {
    zone.put(key(name), new Entry(List.of(records), DnsResponseCode.NOERROR));
  }

  /** {@code name} answers {@code code} (SERVFAIL, NXDOMAIN...) to every question. */
  void fail(String name, DnsResponseCode code) {
    zone.put(key(name), new Entry(List.of(), code));
  }

  /** Questions of {@code type} for {@code name} so far. */
  int queries(String name, DnsRecordType type) {
    AtomicInteger n = queries.get(key(name) + "/" + type.name());
    return n == null ? 0 : n.get();
  }

  static Rr a(String ip, long ttl) {
    return new Rr(DnsRecordType.A, ttl, address(ip));
  }

  static Rr aaaa(String ip, long ttl) {
    return new Rr(DnsRecordType.AAAA, ttl, address(ip));
  }

  static Rr srv(int priority, int weight, int port, String host, long ttl) {
    ByteBuf b = Unpooled.buffer();
    b.writeShort(priority).writeShort(weight).writeShort(port);
    for (String label : key(host).split("\\.")) {
      byte[] l = label.getBytes(StandardCharsets.US_ASCII);
      b.writeByte(l.length).writeBytes(l);
    }
    b.writeByte(0);
    byte[] data = new byte[b.readableBytes()];
    b.readBytes(data);
    b.release();
    return new Rr(DnsRecordType.SRV, ttl, data);
  }

  private static byte[] address(String ip) {
    try {
      return InetAddress.getByName(ip).getAddress(); // a literal: no lookup
    } catch (Exception e) {
      throw new IllegalArgumentException(ip, e);
    }
  }

  /** A name in lower case without its trailing dot. */
  private static String key(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private final class Answerer extends SimpleChannelInboundHandler<DatagramDnsQuery> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery q) {
      DnsQuestion question = q.recordAt(DnsSection.QUESTION);
      String name = key(question.name());
      queries
          .computeIfAbsent(name + "/" + question.type().name(), k -> new AtomicInteger())
          .incrementAndGet();
      DatagramDnsResponse r = new DatagramDnsResponse(q.recipient(), q.sender(), q.id());
      r.setRecursionAvailable(true);
      r.setAuthoritativeAnswer(true);
      r.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
      Entry e = zone.get(name);
      if (e == null) {
        r.setCode(DnsResponseCode.NXDOMAIN);
      } else {
        r.setCode(e.code());
        for (Rr rr : e.records()) {
          if (!rr.type().equals(question.type())) continue;
          r.addRecord(
              DnsSection.ANSWER,
              new DefaultDnsRawRecord(
                  question.name(), rr.type(), rr.ttl(), Unpooled.wrappedBuffer(rr.data())));
        }
      }
      ctx.writeAndFlush(r);
    }
  }
}
