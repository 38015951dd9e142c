package bulwark.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "bulwark",
    mixinStandardHelpOptions = true,
    versionProvider = VersionCommand.Provider.class,
    description = "Bulwark: a streaming API gateway on Vert.x.",
    subcommands = {
      RunCommand.class,
      ValidateCommand.class,
      DemoCommand.class,
      ApplyCommand.class,
      DiffCommand.class,
      ExportCommand.class,
      VersionCommand.class,
      TrainCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // the gateway's own start skips picocli: its model of every subcommand, read from their
    // annotations, costs about 0.2 s of each start (docs/startup.md)
    RunCommand plain = RunCommand.plain(args);
    System.exit(plain != null ? plain.callOrReport() : withPicocli(args));
  }

  private static int withPicocli(String[] args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
