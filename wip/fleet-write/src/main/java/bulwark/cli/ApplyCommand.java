package bulwark.cli;

import bulwark.config.ConfigException;
import bulwark.fleet.ConfigStore;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "apply",
    description = {
      "Make the routing config in etcd what the file says, in one etcd transaction.",
      "The file is validated as the gateway would (with what etcd keeps when not pruning), the"
          + " diff is printed, then written in one transaction that commits only if nothing"
          + " changed in etcd since the diff was made.",
      "Exit 0: applied (or nothing to do, or --dry-run); 1: etcd changed since the diff (another"
          + " apply or write won), nothing was written, run it again; 2: an error (an invalid"
          + " file, etcd unreachable), nothing was written."
    })
final class ApplyCommand implements Callable<Integer> {
  @CommandLine.Option(
      names = {"-f", "--file"},
      required = true,
      paramLabel = "FILE",
      description =
          "The routing config (YAML): upstreams, middlewares, routes, groups, versioning,"
              + " remediation. Other sections are only used to validate it.")
  Path file;

  @CommandLine.Mixin EtcdOptions etcd;

  @CommandLine.Option(
      names = "--prune",
      description = "Delete resources in etcd that the file does not have (default: keep them).")
  boolean prune;

  @CommandLine.Option(names = "--dry-run", description = "Print the diff, write nothing.")
  boolean dryRun;

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
    if (!loaded.ignored().isEmpty())
      System.out.println(
          "note: "
              + String.join(", ", loaded.ignored())
              + " in "
              + file
              + " not applied (bootstrap sections stay in each gateway's file)");
    try (Declarative.Session s = new Declarative.Session(etcd)) {
      ConfigStore store = s.store(loaded.validated());
      ConfigStore.Plan plan = store.plan(loaded.model(), prune);
      if (plan.invalid() != null)
        return Declarative.errors(
            System.err, file + " together with what etcd keeps", plan.invalid());
      System.out.print(plan.diff().render());
      if (plan.diff().empty()) {
        System.out.println("no changes (etcd revision " + plan.revision() + ")");
        return Declarative.OK;
      }
      if (dryRun) {
        System.out.println("dry run: nothing written");
        return Declarative.OK;
      }
      long revision = store.commit(plan);
      if (revision == 0) {
        System.err.println(
            "etcd changed under "
                + etcd.prefix
                + " after revision "
                + plan.revision()
                + " (another apply or write committed first): nothing was written; run apply"
                + " again to see the new diff");
        return Declarative.CHANGES;
      }
      System.out.println("applied: etcd revision " + revision);
      return Declarative.OK;
    } catch (RuntimeException e) {
      System.err.println(
          "etcd " + String.join(",", etcd.endpoints) + ": " + e.getMessage() + "; nothing written");
      return Declarative.ERROR;
    }
  }
}
