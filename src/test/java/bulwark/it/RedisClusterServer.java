package bulwark.it;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Redis Cluster of three masters (no replicas) on free loopback ports, without persistence:
 * three {@code redis-server --cluster-enabled yes} processes, each in its own temp directory,
 * joined with {@code redis-cli --cluster create}. When the binaries are absent the test is skipped,
 * except under CI (CI=true), where their absence fails the test. {@link #close} stops every
 * process, also when the start failed half-way.
 */
public final class RedisClusterServer implements AutoCloseable {
  /** One node: its client port, cluster-bus port and directory (nodes.conf, log). */
  public static final class Node {
    public final int port;
    final int busPort;
    final Path dir;
    Process process;

    Node(int port, int busPort, Path dir) {
      this.port = port;
      this.busPort = busPort;
      this.dir = dir;
    }

    public String uri() {
      return "redis://127.0.0.1:" + port;
    }

    public boolean running() {
      return process != null && process.isAlive();
    }
  }

  public final List<Node> nodes = new ArrayList<>();

  private RedisClusterServer() {}

  /** Starts three masters and creates the cluster (or skips the test without redis). */
  public static RedisClusterServer start() throws Exception {
    String server = binary("redis-server");
    String cli = binary("redis-cli");
    if (server == null || cli == null) {
      String msg =
          "redis-server and redis-cli are not installed (apt-get install redis-server): the Redis Cluster tests need real ones";
      if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(msg);
      Assumptions.abort(msg);
    }
    RedisClusterServer c = new RedisClusterServer();
    try {
      for (int i = 0; i < 3; i++) {
        Node n =
            new Node(
                TestSupport.freePort(),
                TestSupport.freePort(),
                Files.createTempDirectory("bulwark-redis-cluster"));
        c.nodes.add(n);
        c.startProcess(n);
      }
      List<String> create = new ArrayList<>(List.of("--cluster", "create"));
      for (Node n : c.nodes) create.add("127.0.0.1:" + n.port);
      create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      String out = c.cli(c.nodes.get(0).port, create.toArray(String[]::new));
      if (!out.contains("[OK] All 16384 slots covered"))
        throw new IllegalStateException("redis-cli --cluster create failed: " + out);
      c.awaitState("ok");
      return c;
    } catch (Throwable t) {
      c.close();
      throw t;
    }
  }

  private static String binary(String name) {
    for (String d :
        System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      File f = new File(d, name);
      if (f.canExecute()) return f.getPath();
    }
    return null;
  }

  private void startProcess(Node n) throws Exception {
    n.process =
        new ProcessBuilder(
                List.of(
                    binary("redis-server"),
                    "--port",
                    String.valueOf(n.port),
                    "--cluster-port",
                    String.valueOf(n.busPort),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    n.dir.resolve("nodes.conf").toString(),
                    "--cluster-node-timeout",
                    "2000",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    n.dir.toString(),
                    "--protected-mode",
                    "no"))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(n.dir.resolve("redis.log").toFile()))
            .start();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              if (!n.process.isAlive())
                throw new IllegalStateException(
                    "redis-server exited: " + Files.readString(n.dir.resolve("redis.log")));
              return cli(n.port, "ping").trim().equals("PONG");
            });
  }

  /** Runs redis-cli against 127.0.0.1:port and returns what it printed (stdout and stderr). */
  public String cli(int port, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(binary("redis-cli"), "-h", "127.0.0.1", "-p", String.valueOf(port)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
    return out;
  }

  /** Waits until every running node's {@code cluster info} says cluster_state:STATE. */
  public void awaitState(String state) {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              for (Node n : nodes) {
                if (n.running()
                    && !cli(n.port, "cluster", "info").contains("cluster_state:" + state))
                  return false;
              }
              return true;
            });
  }

  /** The seed URIs as a YAML flow list. */
  public String yamlList() {
    return nodes.stream().map(n -> "\"" + n.uri() + "\"").toList().toString();
  }

  /** How many keys matching PATTERN node i holds. */
  public long keys(int i, String pattern) throws Exception {
    String out = cli(nodes.get(i).port, "--scan", "--pattern", pattern);
    return out.lines().filter(l -> !l.isBlank()).count();
  }

  /** Kills node i at once (SIGKILL), as a crash would. */
  public void kill(int i) throws InterruptedException {
    Node n = nodes.get(i);
    if (n.process == null) return;
    n.process.destroyForcibly();
    n.process.waitFor(30, TimeUnit.SECONDS);
    n.process = null;
  }

  /**
   * Starts node i again, on its ports and with its nodes.conf: it rejoins with its slots, empty.
   */
  public void restart(int i) throws Exception {
    kill(i);
    startProcess(nodes.get(i));
  }

  @Override
  public void close() throws InterruptedException {
    for (Node n : nodes) {
      if (n.process == null) continue;
      n.process.destroy();
      if (!n.process.waitFor(10, TimeUnit.SECONDS)) {
        n.process.destroyForcibly();
        n.process.waitFor(10, TimeUnit.SECONDS);
      }
      n.process = null;
    }
    for (Node n : nodes) deleteQuietly(n.dir);
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (Exception e) {
      // a temp directory left behind is harmless
    }
  }
}
