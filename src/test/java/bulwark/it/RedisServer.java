package bulwark.it;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real {@code redis-server} process on a free loopback port, without persistence. When the binary
 * is absent the test is skipped, except under CI (CI=true), where it must be installed and its
 * absence fails the test.
 */
public final class RedisServer implements AutoCloseable {
  public final int port;
  private final Path dir;
  private Process process;

  private RedisServer(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  /** Starts a server on a free port (or skips the test when redis-server is not installed). */
  public static RedisServer start() throws Exception {
    String bin = binary();
    if (bin == null) {
      String msg =
          "redis-server is not installed (apt-get install redis-server): the cluster rate-limit tests need a real one";
      if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(msg);
      Assumptions.abort(msg);
    }
    RedisServer r =
        new RedisServer(TestSupport.freePort(), Files.createTempDirectory("bulwark-redis"));
    r.startProcess();
    return r;
  }

  private static String binary() {
    for (String d :
        System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      File f = new File(d, "redis-server");
      if (f.canExecute()) return f.getPath();
    }
    return null;
  }

  private void startProcess() throws Exception {
    process =
        new ProcessBuilder(
                List.of(
                    binary(),
                    "--port",
                    String.valueOf(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    dir.toString(),
                    "--protected-mode",
                    "no"))
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!ping()) {
      if (!process.isAlive())
        throw new IllegalStateException(
            "redis-server exited: " + Files.readString(dir.resolve("redis.log")));
      if (System.nanoTime() > deadline)
        throw new IllegalStateException("redis-server did not answer PING on port " + port);
      Thread.sleep(50);
    }
  }

  private boolean ping() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(1000);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      return new String(buf, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException e) {
      return false;
    }
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  public boolean running() {
    return process != null && process.isAlive();
  }

  /** Stops the server (SIGTERM) and waits for it to exit. */
  public void stop() throws InterruptedException {
    if (process == null) return;
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    process = null;
  }

  /** Starts it again on the same port, empty. */
  public void restart() throws Exception {
    stop();
    startProcess();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
