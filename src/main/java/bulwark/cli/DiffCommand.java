package bulwark.cli;

import bulwark.config.ConfigException;
import bulwark.config.EtcdConfig;
import bulwark.fleet.ApplyPlan;
import bulwark.fleet.EtcdClient;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "diff",
    description = {
      "Show what apply would change in etcd, and write nothing.",
      "Exit 0: no change; 1: changes; 2: an error (the file, the options, etcd)."
    })
final class DiffCommand implements Callable<Integer> {
  @CommandLine.Option(
      names = {"-f", "--file"},
      required = true,
      paramLabel = "FILE",
      description = "The routing config (YAML), as apply takes it.")
  Path file;

  @CommandLine.Mixin EtcdOptions etcd;

  @CommandLine.Option(
      names = "--prune",
      description = "Count what etcd has and the file does not as removals, as apply --prune.")
  boolean prune;

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  @Override
  public Integer call() {
    Declarative.Loaded loaded;
    EtcdConfig cfg;
    try {
      loaded = Declarative.load(file, etcd.env);
    } catch (ConfigException e) {
      return Declarative.errors(System.err, file.toString(), e.errors());
    }
    try {
      cfg = etcd.config();
    } catch (ConfigException e) {
      return Declarative.errors(System.err, "options", e.errors());
    }
    loaded.notes().forEach(n -> System.out.println("note: " + n));
    try (EtcdClient client = EtcdClient.create(cfg)) {
      ApplyPlan plan;
      try {
        plan = Declarative.plan(client, cfg, loaded, prune);
      } catch (ConfigException e) {
        return Declarative.errors(
            System.err,
            file + " applied to " + cfg.prefix() + (prune ? "" : " (with what etcd keeps)"),
            e.errors());
      }
      Declarative.show(System.out, plan);
      System.out.println(
          (plan.empty() ? "no changes" : "changes") + " (etcd revision " + plan.revision() + ")");
      return plan.empty() ? Declarative.OK : Declarative.CHANGES;
    } catch (RuntimeException e) {
      System.err.println(Declarative.failure(etcd, e));
      return Declarative.ERROR;
    }
  }
}
