package bulwark.cli;

import bulwark.config.ConfigException;
import bulwark.config.EtcdConfig;
import bulwark.fleet.ApplyPlan;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.EtcdException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "apply",
    description = {
      "Make the routing config in etcd what the file says, in one etcd transaction.",
      "The file is validated as the gateway would validate it (and, without --prune, together"
          + " with what etcd keeps); the diff is printed, then written in one transaction that"
          + " commits only if nothing changed in etcd since the revision it was diffed against.",
      "Exit 0: applied, nothing to do, or --dry-run; 1: etcd changed since the diff, nothing was"
          + " written, run it again; 2: an error (the file, the options, etcd), nothing written."
    })
final class ApplyCommand implements Callable<Integer> {
  @CommandLine.Option(
      names = {"-f", "--file"},
      required = true,
      paramLabel = "FILE",
      description =
          "The routing config (YAML): upstreams, middlewares, routes, groups, versioning,"
              + " remediation; or a whole config file, whose other sections only serve to"
              + " validate them.")
  Path file;

  @CommandLine.Mixin EtcdOptions etcd;

  @CommandLine.Option(
      names = "--prune",
      description = "Delete what etcd has and the file does not (default: keep it).")
  boolean prune;

  @CommandLine.Option(names = "--dry-run", description = "Print the diff, write nothing.")
  boolean dryRun;

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  /** Runs between the diff and the commit: a test makes etcd move on there. */
  Runnable beforeCommit = () -> {};

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
    boolean sent = false; // a transport failure after this: the outcome is unknown
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
      if (plan.empty()) {
        System.out.println("no changes (etcd revision " + plan.revision() + ")");
        return Declarative.OK;
      }
      if (dryRun) {
        System.out.println(
            "dry run: nothing written (diffed against etcd revision " + plan.revision() + ")");
        return Declarative.OK;
      }
      beforeCommit.run();
      sent = true;
      String who = "bulwark apply by " + System.getProperty("user.name", "?");
      ApplyPlan.Outcome o = Declarative.await(plan.commit(client, who));
      if (!o.applied()) {
        System.err.println(
            "etcd changed since the diff (revision "
                + plan.revision()
                + " -> "
                + o.revision()
                + "); nothing was written; run again");
        return Declarative.CHANGES;
      }
      System.out.println("applied at etcd revision " + o.revision());
      return Declarative.OK;
    } catch (RuntimeException e) {
      System.err.println(
          Declarative.failure(etcd, e)
              + (sent && e instanceof EtcdException x && x.code() == -1
                  ? "; the transaction may or may not have committed: run diff to see"
                  : "; nothing written"));
      return Declarative.ERROR;
    }
  }
}
