package bulwark.cli;

import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.server.Gateway;
import bulwark.server.ListenException;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "demo",
    description =
        "Start demo upstream services in this process plus the gateway on a scratch copy of examples/demo.yaml (its path is printed: edit it to watch a reload), and print commands to try. Ctrl-C stops it.")
final class DemoCommand implements Callable<Integer> {
  @CommandLine.Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      defaultValue = "examples/demo.yaml",
      description = "The demo config (default: ${DEFAULT-VALUE}).")
  Path config;

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  @Override
  public Integer call() throws Exception {
    if (!Files.exists(config)) {
      System.err.println("demo: " + config + " not found (run from the repository root)");
      return 2;
    }
    // the gateway runs on a copy, so that editing it to watch a reload leaves the repository's file
    // as it is
    Path copy;
    try {
      copy = scratchCopy(config);
    } catch (java.io.IOException e) {
      System.err.println("demo: cannot copy " + config + " to a scratch file: " + e.getMessage());
      return 1;
    }
    RunCommand.Signals signals = RunCommand.Signals.install();
    Vertx upstreamVertx = Vertx.vertx();
    DemoUpstreams ups = new DemoUpstreams(upstreamVertx);
    try {
      ups.start().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println(
          "demo: not started, "
              + (e instanceof ListenException
                  ? e.getMessage()
                  : "cannot start the demo upstreams on 127.0.0.1:18081-18084: " + e.getMessage()));
      signals.uninstall();
      upstreamVertx.close();
      return 2;
    }
    Gateway g;
    try {
      g = Gateway.start(copy, ConfigLoader.fromSystemEnv(), true);
    } catch (ConfigException e) {
      for (ConfigError err : e.errors()) System.err.println("  " + err);
      signals.uninstall();
      upstreamVertx.close();
      return 2;
    } catch (ListenException e) {
      System.err.println("demo: not started, " + e.getMessage());
      signals.uninstall();
      upstreamVertx.close();
      return 2;
    }
    int port = g.dataPort();
    int admin = g.adminPort();
    String b = "http://127.0.0.1:" + port;
    System.out.println();
    System.out.println("Bulwark demo is up: gateway " + b + ", admin http://127.0.0.1:" + admin);
    System.out.println(
        "Upstreams: users (2 instances, weights 2:1), users-v2, orders — all in this process.");
    System.out.println();
    System.out.println(
        "# Routing: /api/users/** goes to the users service (version v1 by default)");
    System.out.println("curl -s " + b + "/api/users/42");
    System.out.println("# Versioning by header: the same path, v2 chosen by Accept");
    System.out.println("curl -s -H 'Accept: application/vnd.demo.v2+json' " + b + "/api/users/42");
    System.out.println(
        "# An unknown version gets 406 problem+json listing the versions that exist");
    System.out.println("curl -s -H 'Accept: application/vnd.demo.v9+json' " + b + "/api/users/42");
    System.out.println(
        "# A group: /api/v1 prefix stripped, a shared headers middleware adds X-Demo-Group");
    System.out.println("curl -s " + b + "/api/v1/orders/7");
    System.out.println(
        "# Versioning by path: the /api/v2 group rewrites to the orders service's /v2 API");
    System.out.println("curl -s " + b + "/api/v2/orders/7");
    System.out.println(
        "# Load balancing: smooth weighted round robin, users-a twice for each users-b");
    System.out.println(
        "for i in 1 2 3 4 5 6; do curl -s "
            + b
            + "/api/users/1 | grep -o '\"instance\":\"[^\"]*\"'; done");
    System.out.println("# Errors are problem+json: 404 and 405 (with Allow)");
    System.out.println("curl -si " + b + "/nope; curl -si -X DELETE " + b + "/api/users/1");
    System.out.println("# The admin port: readiness and the compiled route table");
    System.out.println(
        "curl -s http://127.0.0.1:"
            + admin
            + "/health/ready; curl -s http://127.0.0.1:"
            + admin
            + "/routes");
    System.out.println(
        "# Prometheus metrics (request counts and latency by route, upstream tries, breakers, health, rate limits)");
    System.out.println(
        "curl -s http://127.0.0.1:" + admin + "/metrics | grep '^bulwark_requests_seconds_count'");
    System.out.println();
    System.out.println(
        "The gateway runs on a copy of "
            + config
            + ": edit "
            + copy
            + " and save, and it reloads. Ctrl-C stops the demo.");
    System.out.flush();
    signals.await(g);
    ups.stop();
    upstreamVertx.close().await(5, TimeUnit.SECONDS);
    return 0;
  }

  /**
   * Copies the demo config into a new temporary directory (kept after the demo, with the user's
   * edits) and returns the copy.
   */
  static Path scratchCopy(Path config) throws java.io.IOException {
    Path dir = Files.createTempDirectory("bulwark-demo-");
    return Files.copy(config, dir.resolve(config.getFileName()));
  }
}
