package bulwark.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on loopback (to an etcd member, say) that can be cut (listener closed, every
 * connection closed) and opened again: a gateway behind it loses its peer while the peer lives on.
 *
 * <p>Plain sockets and a thread per direction, no Netty: a Vert.x NetSocket proxy could drop a
 * paused socket's pending buffers unreleased when it was cut, which paranoid leak detection then
 * reported in whatever test ran next.
 */
final class TcpProxy implements AutoCloseable {
  final int port = TestSupport.freePort();
  final int target;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket server;

  TcpProxy(int target) {
    this.target = target;
  }

  /** The proxy's address, http://127.0.0.1:port. */
  String url() {
    return "http://127.0.0.1:" + port;
  }

  void open() throws IOException {
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    ss.bind(new InetSocketAddress("127.0.0.1", port), 128);
    server = ss;
    Thread.ofPlatform()
        .daemon()
        .name("tcp-proxy-accept-" + port)
        .start(
            () -> {
              while (!ss.isClosed()) {
                Socket in;
                try {
                  in = ss.accept();
                } catch (IOException e) {
                  return;
                }
                Thread.ofPlatform().daemon().start(() -> connect(ss, in));
              }
            });
  }

  private void connect(ServerSocket ss, Socket in) {
    sockets.add(in);
    Socket out = new Socket();
    sockets.add(out);
    try {
      out.connect(new InetSocketAddress("127.0.0.1", target), 10_000);
    } catch (IOException e) {
      close(in);
      close(out);
      return;
    }
    // cut while it connected: it must not outlive the cut
    if (ss.isClosed()) {
      close(in);
      close(out);
      return;
    }
    pump(in, out);
    pump(out, in);
  }

  private void pump(Socket from, Socket to) {
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try {
                InputStream i = from.getInputStream();
                OutputStream o = to.getOutputStream();
                for (int n; (n = i.read(buf)) >= 0; ) {
                  o.write(buf, 0, n);
                  o.flush();
                }
              } catch (IOException e) {
                // cut, or the peer went away
              } finally {
                close(from);
                close(to);
              }
            });
  }

  private void close(Socket s) {
    sockets.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  void cut() throws IOException {
    ServerSocket ss = server;
    if (ss != null) ss.close();
    for (Socket s : sockets) close(s);
  }

  @Override
  public void close() throws IOException {
    cut();
  }
}
