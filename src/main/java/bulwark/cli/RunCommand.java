package bulwark.cli;

import bulwark.config.ConfigError;
import bulwark.config.ConfigException;
import bulwark.config.ConfigLoader;
import bulwark.server.Gateway;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import sun.misc.Signal;

@Command(name = "run", description = "Run the gateway. SIGHUP or a change to the file reloads it; SIGTERM/SIGINT drain it and exit 0.")
final class RunCommand implements Callable<Integer> {
  @CommandLine.Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The config file (YAML).")
  Path config;

  @CommandLine.Option(names = "--no-watch", description = "Do not reload when the file changes (SIGHUP still reloads).")
  boolean noWatch;

  @CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
  boolean help;

  @Override
  public Integer call() throws Exception {
    Gateway g;
    try {
      g = Gateway.start(config, ConfigLoader.fromSystemEnv(), !noWatch);
    } catch (ConfigException e) {
      System.err.println(config + ": not started, " + e.errors().size() + " config error(s)");
      for (ConfigError err : e.errors()) System.err.println("  " + err);
      return 2;
    }
    awaitSignals(g);
    return 0;
  }

  /** Blocks until SIGTERM or SIGINT has drained the gateway; SIGHUP reloads. */
  static void awaitSignals(Gateway g) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Signal.handle(new Signal("HUP"), s -> Thread.ofPlatform().name("bulwark-sighup").start(() -> g.reload("SIGHUP")));
    sun.misc.SignalHandler stop = s -> Thread.ofPlatform().name("bulwark-shutdown").start(() -> {
      g.shutdown();
      stopped.countDown();
    });
    Signal.handle(new Signal("TERM"), stop);
    Signal.handle(new Signal("INT"), stop);
    stopped.await();
  }
}
