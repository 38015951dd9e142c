package bulwark.cli;

import bulwark.config.BulwarkConfig;
import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.config.ConfigTrees;
import bulwark.config.EtcdConfig;
import bulwark.fleet.ApplyPlan;
import bulwark.fleet.EtcdClient;
import bulwark.fleet.EtcdException;
import bulwark.fleet.RangeResult;
import bulwark.fleet.ResourceLayout;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * What apply, diff and export share: reading a routing file as the gateway would validate it,
 * printing errors, and reading etcd with one clear line when it cannot be reached.
 */
final class Declarative {
  /** Exit codes. diff: no change, changes, error; apply: done, etcd moved on, error. */
  static final int OK = 0, CHANGES = 1, ERROR = 2;

  /** How long one etcd call may take, at most (the client's own timeouts come first). */
  private static final long CALL_SECONDS = 60;

  private Declarative() {}

  /**
   * A routing file, loaded: the config it validated as (its routing sections, and its own server,
   * admin, observability and cluster sections or the defaults as the bootstrap they are validated
   * with) and remarks for the user.
   */
  record Loaded(BulwarkConfig config, List<String> notes) {}

  /**
   * Reads {@code file} (YAML; {@code ${NAME}} substituted from {@code env}, as the gateway does).
   * Its routing sections are the desired config; other sections only serve to validate them, and
   * configSource is left out.
   *
   * @throws ConfigException with every error (file unreadable, invalid YAML, each invalid field)
   */
  static Loaded load(Path file, Function<String, String> env) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(
          List.of(new ConfigError("", "cannot read " + file + ": " + reason(e))));
    }
    JsonNode root = ConfigTrees.readValue(text);
    if (!root.isObject())
      throw new ConfigException(
          List.of(
              new ConfigError(
                  "",
                  "expected a mapping of config sections (upstreams, middlewares, routes, groups,"
                      + " versioning, remediation)")));
    ObjectNode copy = ((ObjectNode) root).deepCopy();
    List<String> routing = new ArrayList<>();
    List<String> other = new ArrayList<>();
    copy.fieldNames()
        .forEachRemaining(
            k -> (BulwarkConfig.ROUTING_SECTIONS.contains(k) ? routing : other).add(k));
    if (routing.isEmpty() && !other.isEmpty())
      throw new ConfigException(
          List.of(
              new ConfigError(
                  "",
                  "no routing section ("
                      + String.join(", ", BulwarkConfig.ROUTING_SECTIONS)
                      + "), only "
                      + String.join(", ", other)
                      + ": a gateway's bootstrap file has nothing to apply")));
    List<String> notes = new ArrayList<>();
    other.remove("configSource");
    if (copy.remove("configSource") != null)
      notes.add("configSource in " + file + " is ignored: --etcd and --prefix say where to write");
    if (!other.isEmpty())
      notes.add(
          String.join(", ", other)
              + " in "
              + file
              + ": not applied (each gateway's bootstrap file has them), only used to validate");
    BulwarkConfig cfg = new ConfigLoader(env).parse(ConfigTrees.toYaml(copy));
    return new Loaded(cfg, List.copyOf(notes));
  }

  /** Prints {@code what: N errors} and every error, as validate does; returns {@link #ERROR}. */
  static int errors(PrintStream err, String what, List<ConfigError> errors) {
    err.println(what + ": " + ValidateCommand.count(errors.size(), "error"));
    for (ConfigError x : errors) err.println("  " + x);
    return ERROR;
  }

  /** Reads the prefix at one revision. */
  static RangeResult read(EtcdClient etcd, ResourceLayout layout) {
    return await(etcd.range(layout.rangePrefix()));
  }

  /** Reads etcd and plans the apply of {@code loaded} (see {@link ApplyPlan#of}). */
  static ApplyPlan plan(EtcdClient etcd, EtcdConfig cfg, Loaded loaded, boolean prune)
      throws ConfigException {
    ResourceLayout layout = new ResourceLayout(cfg.prefix());
    return ApplyPlan.of(read(etcd, layout), layout, loaded.config(), prune);
  }

  /** Prints the plan's notes and its diff. */
  static void show(PrintStream out, ApplyPlan plan) {
    for (String n : plan.notes()) out.println("note: " + n);
    out.print(plan.render());
  }

  /**
   * The value of {@code f}, waiting at most {@link #CALL_SECONDS}.
   *
   * @throws EtcdException when it failed (as such) or took too long
   */
  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(CALL_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof EtcdException x) throw x;
      throw new EtcdException(-1, c.getMessage() == null ? c.toString() : c.getMessage());
    } catch (TimeoutException e) {
      throw new EtcdException(-1, "no answer in " + CALL_SECONDS + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EtcdException(-1, "interrupted");
    }
  }

  /**
   * One line about an etcd failure: unreachable (naming the endpoints) or what etcd answered; with
   * a hint when a transaction was too large for etcd.
   */
  static String failure(EtcdOptions o, RuntimeException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (!(e instanceof EtcdException x)) return "unexpected error: " + e;
    if (x.code() == -1 || x.code() == 14) return "cannot reach etcd (" + o.where() + "): " + m;
    if (m.contains("too many operations in txn"))
      return "etcd refused the transaction: "
          + m
          + " (it holds every change and a compare per key under the prefix: raise --max-txn-ops,"
          + " 128 by default, on the etcd members)";
    return "etcd (" + o.where() + "): " + m;
  }

  private static String reason(IOException e) {
    if (e instanceof NoSuchFileException) return "no such file";
    if (e instanceof AccessDeniedException) return "permission denied";
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
