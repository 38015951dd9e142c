import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * A reference for the benchmark, not a proxy to use: the plainest HTTP/1.1 reverse proxy that Netty
 * itself makes, on the same JVM, flags, epoll transport and one event loop as Bulwark, with no
 * Vert.x. Netty's HTTP codecs on both sides, the decoded messages passed on as they are, and a
 * stack of idle keep-alive connections to the upstream. It handles what bench/run.sh sends (GETs
 * without pipelining) and nothing else: no error answers, no header rules, no timeouts. Against
 * vertx-pipe it shows what Vert.x's HTTP server and client layer costs on this machine; against
 * nginx-proxy, what the JVM and Netty can do here at all. Run by bench/run.sh:
 *
 * <pre>java -cp target/bulwark.jar bench/NettyPipe.java LISTEN_PORT UPSTREAM_PORT</pre>
 */
public class NettyPipe {
  static final ArrayDeque<Channel> idle = new ArrayDeque<>();
  static Bootstrap upstream;

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    InetSocketAddress up = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
    // one event loop, as Bulwark has on one CPU; the idle stack is that loop's alone
    EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    upstream =
        new Bootstrap()
            .group(loop)
            .channel(EpollSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .remoteAddress(up)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HttpClientCodec(), new Back());
                  }
                });
    new ServerBootstrap()
        .group(loop)
        .channel(EpollServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpServerCodec(), new Front());
              }
            })
        .bind("127.0.0.1", port)
        .sync();
    System.out.println("netty-pipe listening on 127.0.0.1:" + port + ", 1 event loop");
  }

  /** The client's side: each request's messages go to an upstream connection of its own. */
  static final class Front extends ChannelInboundHandlerAdapter {
    Channel back;
    ArrayDeque<Object> waiting;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest) {
        Channel c = idle.pollFirst();
        if (c != null && c.isActive()) {
          pair(ctx.channel(), c);
        } else {
          waiting = new ArrayDeque<>();
          upstream
              .connect()
              .addListener(
                  (ChannelFutureListener)
                      f -> {
                        if (!f.isSuccess()) {
                          waiting.forEach(ReferenceCountUtil::release);
                          ctx.close();
                          return;
                        }
                        pair(ctx.channel(), f.channel());
                        Object m;
                        while ((m = waiting.poll()) != null) back.write(m, back.voidPromise());
                        waiting = null;
                        back.flush();
                      });
        }
      }
      if (waiting != null) {
        waiting.add(msg);
      } else if (back == null) {
        ReferenceCountUtil.release(msg);
      } else if (msg instanceof LastHttpContent) {
        back.writeAndFlush(msg, back.voidPromise());
      } else {
        back.write(msg, back.voidPromise());
      }
    }

    void pair(Channel front, Channel up) {
      back = up;
      up.pipeline().get(Back.class).front = front;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (back != null) back.close();
    }
  }

  /**
   * The upstream's side: the response's messages go back; at its end the connection is idle again.
   */
  static final class Back extends ChannelInboundHandlerAdapter {
    Channel front;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel f = front;
      if (f == null) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof LastHttpContent) {
        front = null;
        f.pipeline().get(Front.class).back = null;
        f.writeAndFlush(msg, f.voidPromise());
        idle.addFirst(ctx.channel());
      } else {
        f.write(msg, f.voidPromise());
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      idle.remove(ctx.channel());
      if (front != null) front.close();
    }
  }
}
