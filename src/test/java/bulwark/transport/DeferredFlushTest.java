package bulwark.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.impl.UnpooledHttpClientConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DeferredFlush} on a real Netty event loop (in-JVM channels): a flush asked for in one task
 * is still held at the end of that task and done before the next one, for every connection that
 * asked; nothing written is lost to a close; and the handler sits first in a real Vert.x client
 * connection's pipeline.
 */
class DeferredFlushTest {
  EventLoopGroup loop;
  Channel server;
  final StringBuffer received = new StringBuffer();
  final List<Channel> clients = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    loop = new MultiThreadIoEventLoopGroup(1, LocalIoHandler.newFactory());
    LocalAddress address = new LocalAddress("deferred-flush-" + System.nanoTime());
    server =
        new ServerBootstrap()
            .group(loop)
            .channel(LocalServerChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf b = (ByteBuf) msg;
                                received.append(b.toString(StandardCharsets.US_ASCII));
                                b.release();
                              }
                            });
                  }
                })
            .bind(address)
            .sync()
            .channel();
    for (int i = 0; i < 2; i++) {
      Channel c =
          new Bootstrap()
              .group(loop)
              .channel(LocalChannel.class)
              .handler(new ChannelInboundHandlerAdapter())
              .connect(address)
              .sync()
              .channel();
      DeferredFlush.install(c);
      clients.add(c);
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Channel c : clients) c.close().sync();
    server.close().sync();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  /** Runs work as one task on the event loop and returns its result. */
  <T> T onLoop(Callable<T> work) throws Exception {
    return loop.next().submit(work).get(10, TimeUnit.SECONDS);
  }

  static ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
  }

  static long unsent(Channel c) {
    return c.unsafe().outboundBuffer() == null
        ? 0
        : c.unsafe().outboundBuffer().totalPendingWriteBytes();
  }

  @Test
  void aFlushIsHeldToTheEndOfTheTaskAndDoneBeforeTheNext() throws Exception {
    Channel a = clients.get(0);
    long held =
        onLoop(
            () -> {
              a.writeAndFlush(text("head "));
              a.writeAndFlush(text("body"));
              // written into the outbound buffer (writability counts it), not sent yet
              return unsent(a);
            });
    assertThat(held).isGreaterThanOrEqualTo(9);
    assertThat(onLoop(() -> unsent(a))).isZero();
    await().atMost(Duration.ofSeconds(5)).until(() -> received.toString().equals("head body"));
  }

  @Test
  void oneBatchFlushesEveryConnectionThatAsked() throws Exception {
    Channel a = clients.get(0);
    Channel b = clients.get(1);
    long[] held =
        onLoop(
            () -> {
              a.writeAndFlush(text("a"));
              b.writeAndFlush(text("b"));
              return new long[] {unsent(a), unsent(b)};
            });
    assertThat(held[0]).isPositive();
    assertThat(held[1]).isPositive();
    assertThat(onLoop(() -> new long[] {unsent(a), unsent(b)})).containsExactly(0, 0);
    await().atMost(Duration.ofSeconds(5)).until(() -> received.length() == 2);
    assertThat(received.toString()).contains("a").contains("b");
  }

  @Test
  void aCloseSendsWhatIsHeldFirst() throws Exception {
    Channel a = clients.get(0);
    onLoop(
        () -> {
          a.writeAndFlush(text("last words"));
          a.close();
          return null;
        });
    await().atMost(Duration.ofSeconds(5)).until(() -> received.toString().equals("last words"));
  }

  @Test
  void aFlushAfterTheBatchRanIsHeldForTheNextOne() throws Exception {
    Channel a = clients.get(0);
    onLoop(() -> a.writeAndFlush(text("one")));
    await().atMost(Duration.ofSeconds(5)).until(() -> received.toString().equals("one"));
    assertThat(
            onLoop(
                () -> {
                  a.writeAndFlush(text("two"));
                  return unsent(a);
                }))
        .isPositive();
    await().atMost(Duration.ofSeconds(5)).until(() -> received.toString().equals("onetwo"));
  }

  @Test
  void installedOnceAndFirstOnARealVertxClientConnection() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      HttpServer http =
          vertx
              .createHttpServer()
              .requestHandler(r -> r.response().end("ok"))
              .listen(0, "127.0.0.1")
              .await(10, TimeUnit.SECONDS);
      HttpClientAgent client = vertx.createHttpClient();
      HttpClientConnection hc =
          client
              .connect(new HttpConnectOptions().setHost("127.0.0.1").setPort(http.actualPort()))
              .await(10, TimeUnit.SECONDS);
      DeferredFlush.install(hc);
      DeferredFlush.install(hc);
      var pipeline =
          ((ConnectionBase) ((UnpooledHttpClientConnection) hc).unwrap()).channel().pipeline();
      assertThat(pipeline.names()).filteredOn(DeferredFlush.NAME::equals).hasSize(1);
      assertThat(pipeline.first()).isInstanceOf(DeferredFlush.class);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
