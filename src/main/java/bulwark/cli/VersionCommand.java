package bulwark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "version", description = "Print the Bulwark version and its runtime.")
final class VersionCommand implements Runnable {
  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  static String describe() {
    return "bulwark "
        + version()
        + " (Vert.x "
        + vertxVersion()
        + ", Java "
        + Runtime.version()
        + ")";
  }

  static String vertxVersion() {
    try (var in =
        io.vertx.core.Vertx.class
            .getClassLoader()
            .getResourceAsStream("META-INF/vertx/vertx-version.txt")) {
      return in == null
          ? "?"
          : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  @Override
  public void run() {
    System.out.println(describe());
  }

  static final class Provider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {describe()};
    }
  }
}
