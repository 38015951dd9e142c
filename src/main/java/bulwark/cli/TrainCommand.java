package bulwark.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The training run of the JVM's ahead-of-time cache (JEP 483/514/515; AppCDS on JDK 21-24), run by
 * {@code make build} through scripts/aot-cache: starts the gateway on loopback ports in front of an
 * upstream in this process, sends real traffic through its main paths (routing, JWT and API-key
 * auth, rate limit, header rules, gzip, HTTP/1.1 and h2c from clients, h2c to an upstream, the
 * access log, local replies, the admin API with a metrics scrape; then the same over TLS with
 * HTTP/2 by ALPN) and exits, so that the JVM writes the cache of what it loaded, linked and
 * profiled. Hidden: it is a build step, not a user command.
 */
@Command(
    name = "train",
    hidden = true,
    description =
        "Training run for the JVM's AOT cache: serves N requests of each kind on loopback and exits.")
final class TrainCommand implements Callable<Integer> {
  @CommandLine.Option(
      names = "--requests",
      defaultValue = "200",
      paramLabel = "N",
      description = "Requests of each kind (default: ${DEFAULT-VALUE}).")
  int requests;

  @CommandLine.Option(
      names = "--tls",
      defaultValue = "true",
      arity = "1",
      paramLabel = "BOOL",
      description =
          "Also train TLS with HTTP/2 by ALPN (needs openssl for the self-signed certificate; default: ${DEFAULT-VALUE}).")
  boolean tls;

  @CommandLine.Option(names = "--verbose", description = "Print the time each kind takes.")
  boolean verbose;

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  @Override
  public Integer call() throws Exception {
    return new Training(requests, tls, verbose).run();
  }
}
