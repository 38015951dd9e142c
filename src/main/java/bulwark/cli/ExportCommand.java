package bulwark.cli;

import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.EtcdConfig;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.RangeResult;
import bulwark.fleet.ResourceKinds;
import bulwark.fleet.ResourceLayout;
import bulwark.fleet.RoutingModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "export",
    description = {
      "Write the routing config in etcd as YAML that apply accepts: applying it changes nothing,"
          + " and exporting again gives the same bytes. Keep exports: applying an older one with"
          + " --prune is the rollback.",
      "Exit 0; 2 when etcd cannot be read or the file cannot be written."
    })
final class ExportCommand implements Callable<Integer> {
  @CommandLine.Mixin EtcdOptions etcd;

  @CommandLine.Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write it to FILE (replaced atomically) instead of standard output.")
  Path output;

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  @Override
  public Integer call() {
    EtcdConfig cfg;
    try {
      cfg = etcd.config();
    } catch (ConfigException e) {
      return Declarative.errors(System.err, "options", e.errors());
    }
    ResourceLayout layout = new ResourceLayout(cfg.prefix());
    RoutingModel model;
    try (EtcdClient client = EtcdClient.create(cfg)) {
      RangeResult read = Declarative.read(client, layout);
      model = RoutingModel.of(read, layout);
    } catch (RuntimeException e) {
      System.err.println(Declarative.failure(etcd, e));
      return Declarative.ERROR;
    }
    for (ConfigError e : model.errors())
      System.err.println("warning: not exported, not valid config: " + e);
    String yaml = model.toYaml();
    if (output == null) {
      System.out.print(yaml);
    } else {
      try {
        write(output, yaml);
      } catch (IOException e) {
        System.err.println("cannot write " + output + ": " + e.getMessage());
        return Declarative.ERROR;
      }
    }
    long n = ResourceKinds.ALL.stream().mapToLong(k -> model.trees(k).size()).sum();
    System.err.println(
        "exported "
            + ValidateCommand.count((int) n, "resource")
            + " of "
            + cfg.prefix()
            + " at etcd revision "
            + model.revision()
            + (output == null ? "" : " to " + output));
    return Declarative.OK;
  }

  /** Writes {@code text} next to {@code file}, then renames it over it. */
  private static void write(Path file, String text) throws IOException {
    Path abs = file.toAbsolutePath();
    Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
    try {
      Files.writeString(tmp, text);
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
