package bulwark.cli;

import bulwark.config.ConfigException;
import bulwark.fleet.ConfigStore;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "diff",
    description =
        "Show what apply would change in etcd. Exit 0: no change; 1: changes; 2: an error (an"
            + " invalid file, etcd unreachable).")
final class DiffCommand implements Callable<Integer> {
  @CommandLine.Option(
      names = {"-f", "--file"},
      required = true,
      paramLabel = "FILE",
      description = "The routing config (YAML): upstreams, middlewares, routes, groups, ...")
  Path file;

  @CommandLine.Mixin EtcdOptions etcd;

  @CommandLine.Option(
      names = "--prune",
      description = "Count resources in etcd that the file does not have as removals.")
  boolean prune;

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  @Override
  public Integer call() {
    Declarative.Loaded loaded;
    try {
      loaded = Declarative.load(file);
    } catch (ConfigException e) {
      return Declarative.errors(System.err, file.toString(), e);
    }
    try (Declarative.Session s = new Declarative.Session(etcd)) {
      ConfigStore.Plan plan = s.store(loaded.validated()).plan(loaded.model(), prune);
      if (plan.invalid() != null)
        return Declarative.errors(
            System.err, file + " together with what etcd keeps", plan.invalid());
      System.out.print(plan.diff().render());
      return plan.diff().empty() ? Declarative.OK : Declarative.CHANGES;
    } catch (RuntimeException e) {
      System.err.println("etcd " + String.join(",", etcd.endpoints) + ": " + e.getMessage());
      return Declarative.ERROR;
    }
  }
}
