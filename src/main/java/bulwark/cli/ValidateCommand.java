package bulwark.cli;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.config.FlatRoute;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "validate",
    description =
        "Check a config file. Exit 0 with a summary when it is valid; otherwise exit 2 listing every error with its field path.")
final class ValidateCommand implements Callable<Integer> {
  @CommandLine.Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "FILE",
      description = "The config file (YAML).")
  Path config;

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  @Override
  public Integer call() {
    try {
      BulwarkConfig cfg = ConfigLoader.fromSystemEnv().load(config);
      System.out.println(summary(config, cfg));
      return 0;
    } catch (ConfigException e) {
      System.err.println(config + ": " + count(e.errors().size(), "error"));
      for (ConfigError err : e.errors()) System.err.println("  " + err);
      return 2;
    }
  }

  static String summary(Path file, BulwarkConfig cfg) {
    return file
        + ": valid ("
        + count(FlatRoute.flatten(cfg).size(), "route")
        + ", "
        + count(cfg.upstreams().size(), "upstream")
        + ", "
        + count(cfg.middlewares().size(), "middleware")
        + "; listen "
        + cfg.server().listen()
        + (cfg.server().tls() == null
            ? ""
            : " (TLS, " + count(cfg.server().tls().certificates().size(), "certificate") + ")")
        + ", admin "
        + cfg.admin().listen()
        + ")";
  }

  /** "1 route", "0 routes", "2 routes". */
  static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
