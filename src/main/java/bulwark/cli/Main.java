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
    int code = new CommandLine(new Main()).execute(args);
    System.exit(code);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
