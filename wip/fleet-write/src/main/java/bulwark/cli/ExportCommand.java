package bulwark.cli;

import bulwark.fleet.RoutingModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(
    name = "export",
    description =
        "Write the routing config in etcd as YAML that apply accepts (export, then apply: no"
            + " changes). Exit 0, or 2 when etcd cannot be read.")
final class ExportCommand implements Callable<Integer> {
  @CommandLine.Mixin EtcdOptions etcd;

  @CommandLine.Option(
      names = {"-o", "--output"},
      paramLabel = "FILE",
      description = "Write it to FILE instead of standard output.")
  Path output;

  @CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  boolean help;

  @Override
  public Integer call() {
    String yaml;
    long revision;
    try (Declarative.Session s = new Declarative.Session(etcd)) {
      RoutingModel model = RoutingModel.read(s.etcd, etcd.prefix);
      yaml = model.toYaml();
      revision = model.revision();
    } catch (RuntimeException e) {
      System.err.println("etcd " + String.join(",", etcd.endpoints) + ": " + e.getMessage());
      return Declarative.ERROR;
    }
    String text = "# bulwark export of " + etcd.prefix + " at etcd revision " + revision + "\n" + yaml;
    if (output == null) {
      System.out.print(text);
      return Declarative.OK;
    }
    try {
      Files.writeString(output, text);
    } catch (IOException e) {
      System.err.println("cannot write " + output + ": " + e.getMessage());
      return Declarative.ERROR;
    }
    return Declarative.OK;
  }
}
