package bulwark.it;

import bulwark.config.EtcdConfig;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Real {@code etcd} members (Debian's etcd-server, 3.4) on free loopback ports, with their data
 * under one temp directory. Members can be stopped, killed and restarted one by one; {@link #close}
 * (and, failing that, a JVM shutdown hook) ends every process and deletes the data. Without the
 * binary the test is skipped, except under CI (CI=true), where its absence fails the test.
 */
public final class EtcdCluster implements AutoCloseable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Path dir;
  private final List<Member> members = new ArrayList<>();
  private final Thread hook;

  private final class Member {
    final String name;
    final int clientPort;
    final int peerPort;
    Process process;

    Member(int i) {
      name = "m" + i;
      clientPort = TestSupport.freePort();
      peerPort = TestSupport.freePort();
    }

    String clientUrl() {
      return "http://127.0.0.1:" + clientPort;
    }

    String peerUrl() {
      return "http://127.0.0.1:" + peerPort;
    }

    void start(boolean fresh) throws IOException {
      String initial =
          members.stream().map(m -> m.name + "=" + m.peerUrl()).collect(Collectors.joining(","));
      process =
          new ProcessBuilder(
                  binary(),
                  "--name",
                  name,
                  "--data-dir",
                  dir.resolve(name).toString(),
                  "--listen-client-urls",
                  clientUrl(),
                  "--advertise-client-urls",
                  clientUrl(),
                  "--listen-peer-urls",
                  peerUrl(),
                  "--initial-advertise-peer-urls",
                  peerUrl(),
                  "--initial-cluster",
                  initial,
                  "--initial-cluster-state",
                  fresh ? "new" : "existing",
                  "--initial-cluster-token",
                  "bulwark-test-" + dir.getFileName(),
                  "--heartbeat-interval",
                  "50",
                  "--election-timeout",
                  "500",
                  "--logger",
                  "zap",
                  "--log-outputs",
                  "stderr")
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()))
              .start();
    }

    boolean healthy() {
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(clientUrl() + "/health"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 && r.body().contains("\"true\"");
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    void end(boolean kill) throws InterruptedException {
      if (process == null) return;
      if (kill) process.destroyForcibly();
      else process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(15, TimeUnit.SECONDS);
      }
      process = null;
    }
  }

  private EtcdCluster(Path dir) {
    this.dir = dir;
    this.hook = new Thread(this::destroyAll, "etcd-cluster-cleanup");
  }

  /** Starts {@code size} members and waits until every one is healthy (has a leader). */
  public static EtcdCluster start(int size) throws Exception {
    if (binary() == null) {
      String msg =
          "etcd is not installed (apt-get install etcd-server): the fleet tests need a real one";
      if ("true".equals(System.getenv("CI"))) throw new IllegalStateException(msg);
      Assumptions.abort(msg);
    }
    EtcdCluster c = new EtcdCluster(Files.createTempDirectory("bulwark-etcd"));
    Runtime.getRuntime().addShutdownHook(c.hook);
    try {
      for (int i = 0; i < size; i++) c.members.add(c.new Member(i));
      for (Member m : c.members) m.start(true);
      for (int i = 0; i < size; i++) c.awaitHealthy(i);
    } catch (Exception | Error e) {
      c.close();
      throw e;
    }
    return c;
  }

  static String binary() {
    for (String d :
        System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      File f = new File(d, "etcd");
      if (f.canExecute()) return f.getPath();
    }
    return null;
  }

  public int size() {
    return members.size();
  }

  /** The client URL of member {@code i}, http://127.0.0.1:port. */
  public String endpoint(int i) {
    return members.get(i).clientUrl();
  }

  /** Every member's client URL. */
  public List<String> endpoints() {
    return members.stream().map(Member::clientUrl).toList();
  }

  /** An EtcdConfig for every member, under {@code prefix}, without auth. */
  public EtcdConfig config(String prefix) {
    return config(prefix, endpoints(), "", "");
  }

  public static EtcdConfig config(
      String prefix, List<String> endpoints, String user, String password) {
    return new EtcdConfig(endpoints, prefix, user, password, Duration.ofSeconds(1), "", "", null);
  }

  /** The YAML configSource section for these members (for a gateway's bootstrap file). */
  public String configSourceYaml(String prefix, Path cacheFile) {
    return "configSource:\n  type: etcd\n  etcd:\n    endpoints: ["
        + endpoints().stream().map(e -> "\"" + e + "\"").collect(Collectors.joining(", "))
        + "]\n    prefix: "
        + prefix
        + "\n    dialTimeout: 1s\n"
        + (cacheFile == null ? "" : "    cacheFile: " + cacheFile + "\n");
  }

  /** True when member {@code i} answers /health with a leader (it can serve reads and writes). */
  public boolean healthy(int i) {
    return members.get(i).healthy();
  }

  public boolean running(int i) {
    Process p = members.get(i).process;
    return p != null && p.isAlive();
  }

  /** Stops member {@code i} (SIGTERM) and waits for it to exit. */
  public void stop(int i) throws InterruptedException {
    members.get(i).end(false);
  }

  /** Kills member {@code i} (SIGKILL) and waits for it to exit. */
  public void kill(int i) throws InterruptedException {
    members.get(i).end(true);
  }

  /** Starts a stopped member again with its data and waits until it is healthy. */
  public void restart(int i) throws Exception {
    Member m = members.get(i);
    if (m.process != null) return;
    m.start(false);
    awaitHealthy(i);
  }

  /** Restarts every stopped member at once (a quorum needs them together), then waits. */
  public void restartAll() throws Exception {
    for (Member m : members) if (m.process == null) m.start(false);
    for (int i = 0; i < members.size(); i++) awaitHealthy(i);
  }

  private void awaitHealthy(int i) throws Exception {
    Member m = members.get(i);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!m.healthy()) {
      if (m.process == null || !m.process.isAlive())
        throw new IllegalStateException(
            "etcd " + m.name + " exited: " + Files.readString(dir.resolve(m.name + ".log")));
      if (System.nanoTime() > deadline)
        throw new IllegalStateException("etcd " + m.name + " did not become healthy");
      Thread.sleep(50);
    }
  }

  /**
   * Sends one v3 JSON request (path, JSON body) to member {@code i}, with an optional token: for
   * set-up steps such as enabling authentication.
   */
  public String post(int i, String path, String json, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(endpoint(i) + path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (token != null) b.header("Authorization", token);
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200 || r.body().contains("\"error\""))
      throw new IllegalStateException(path + ": HTTP " + r.statusCode() + " " + r.body());
    return r.body();
  }

  /**
   * Turns authentication on: a root user (password {@code rootPassword}) and {@code user} with
   * read-write access to every key.
   */
  public void enableAuth(String rootPassword, String user, String password) throws Exception {
    post(0, "/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"" + rootPassword + "\"}", null);
    post(0, "/v3/auth/role/add", "{\"name\":\"root\"}", null);
    post(0, "/v3/auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}", null);
    post(
        0,
        "/v3/auth/user/add",
        "{\"name\":\"" + user + "\",\"password\":\"" + password + "\"}",
        null);
    post(0, "/v3/auth/role/add", "{\"name\":\"rw\"}", null);
    // key "\0" to range_end "\0": every key
    post(
        0,
        "/v3/auth/role/grant",
        "{\"name\":\"rw\",\"perm\":{\"permType\":\"READWRITE\",\"key\":\"AA==\",\"range_end\":\"AA==\"}}",
        null);
    post(0, "/v3/auth/user/grant", "{\"user\":\"" + user + "\",\"role\":\"rw\"}", null);
    post(0, "/v3/auth/enable", "{}", null);
  }

  /** The log of member {@code i}, for a failure message. */
  public String log(int i) throws IOException {
    return Files.readString(dir.resolve(members.get(i).name + ".log"));
  }

  private void destroyAll() {
    for (Member m : members) {
      if (m.process != null) m.process.destroyForcibly();
    }
    for (Member m : members) {
      try {
        if (m.process != null) m.process.waitFor(15, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      m.process = null;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // the temp directory is gone already, or is left for the OS to clean
    }
  }

  @Override
  public void close() {
    destroyAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs (or ran) anyway
    }
  }
}
