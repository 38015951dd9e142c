package bulwark.cli;

import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.server.Gateway;
import bulwark.server.ListenException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import sun.misc.Signal;

@Command(
    name = "run",
    description =
        "Run the gateway. SIGHUP or a change to the file reloads it; SIGTERM/SIGINT drain it and exit 0.")
final class RunCommand implements Callable<Integer> {
  @CommandLine.Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "FILE",
      description = "The config file (YAML).")
  Path config;

  @CommandLine.Option(
      names = "--no-watch",
      description = "Do not reload when the file changes (SIGHUP still reloads).")
  boolean noWatch;

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  /**
   * The command of a plain {@code run -c FILE [--no-watch]} ({@code --config FILE} and {@code
   * --config=FILE} too, in any order), parsed without picocli; null for any other command line
   * (help, other options, a missing or repeated file), which picocli then parses and reports.
   */
  static RunCommand plain(String[] args) {
    if (args.length < 2 || !args[0].equals("run")) return null;
    RunCommand c = new RunCommand();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      String file = null;
      if (a.equals("--no-watch") && !c.noWatch) c.noWatch = true;
      else if ((a.equals("-c") || a.equals("--config")) && i + 1 < args.length) file = args[++i];
      else if (a.startsWith("--config=")) file = a.substring("--config=".length());
      else return null;
      if (file != null) {
        if (c.config != null || file.isEmpty() || file.startsWith("-")) return null;
        try {
          c.config = Path.of(file);
        } catch (java.nio.file.InvalidPathException e) {
          return null;
        }
      }
    }
    return c.config != null ? c : null;
  }

  /** Runs as picocli would: the exit code, or 1 with the stack trace of what was thrown. */
  int callOrReport() {
    try {
      return call();
    } catch (Exception e) {
      e.printStackTrace();
      return 1;
    }
  }

  @Override
  public Integer call() throws Exception {
    // the handlers go in before the gateway starts: readiness turns 200 inside Gateway.start, and a
    // SIGHUP or SIGTERM sent as soon as it does must not meet the JVM's default (exit) handler
    Signals signals = Signals.install();
    Gateway g;
    try {
      g = Gateway.start(config, ConfigLoader.fromSystemEnv(), !noWatch);
    } catch (ConfigException e) {
      signals.uninstall();
      System.err.println(config + ": not started, " + e.errors().size() + " config error(s)");
      for (ConfigError err : e.errors()) System.err.println("  " + err);
      return 2;
    } catch (ListenException e) {
      signals.uninstall();
      System.err.println(config + ": not started, " + e.getMessage());
      return 2;
    } catch (Exception | Error e) {
      signals.uninstall();
      throw e;
    }
    signals.await(g);
    return 0;
  }

  /**
   * SIGHUP reloads, SIGTERM/SIGINT drain. Installed before the gateway exists; a signal that comes
   * while it starts is kept and acted on as soon as it has started.
   */
  static final class Signals {
    /** What the signals do, once the gateway has started. */
    record Actions(java.util.function.Consumer<String> reload, Runnable shutdown) {}

    private final AtomicReference<Actions> actions = new AtomicReference<>();
    private final AtomicBoolean hupPending = new AtomicBoolean();
    private final AtomicBoolean stopPending = new AtomicBoolean();
    private final AtomicBoolean stopStarted = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final java.util.Map<String, sun.misc.SignalHandler> previous =
        new java.util.HashMap<>();

    Signals() {}

    static Signals install() {
      Signals s = new Signals();
      s.previous.put("HUP", Signal.handle(new Signal("HUP"), sig -> s.hup()));
      // a process started with SIGHUP ignored (nohup) keeps it ignored: the JVM installs no handler
      if (s.previous.get("HUP") == sun.misc.SignalHandler.SIG_IGN)
        System.err.println(
            "bulwark: SIGHUP is ignored (started under nohup?), so it will not reload the config;"
                + " a change to the watched file still does");
      sun.misc.SignalHandler stop = sig -> s.stop();
      s.previous.put("TERM", Signal.handle(new Signal("TERM"), stop));
      s.previous.put("INT", Signal.handle(new Signal("INT"), stop));
      return s;
    }

    /** Puts the previous handlers back, when the gateway did not start. */
    void uninstall() {
      previous.forEach((name, h) -> Signal.handle(new Signal(name), h));
    }

    void hup() {
      hupPending.set(true);
      Actions a = actions.get();
      if (a != null && hupPending.getAndSet(false))
        Thread.ofPlatform().name("bulwark-sighup").start(() -> a.reload().accept("SIGHUP"));
    }

    void stop() {
      stopPending.set(true);
      Actions a = actions.get();
      // once: a second SIGTERM must not end the process while the first one drains
      if (a != null && !stopStarted.getAndSet(true))
        Thread.ofPlatform()
            .name("bulwark-shutdown")
            .start(
                () -> {
                  try {
                    a.shutdown().run();
                  } finally {
                    stopped.countDown();
                  }
                });
    }

    /**
     * Hands the started gateway to the handlers and blocks until SIGTERM or SIGINT has drained it.
     */
    void await(Gateway g) throws InterruptedException {
      await(new Actions(g::reload, g::shutdown));
    }

    void await(Actions a) throws InterruptedException {
      actions.set(a);
      if (hupPending.getAndSet(false))
        Thread.ofPlatform().name("bulwark-sighup").start(() -> a.reload().accept("SIGHUP"));
      if (stopPending.get()) stop();
      stopped.await();
    }
  }
}
