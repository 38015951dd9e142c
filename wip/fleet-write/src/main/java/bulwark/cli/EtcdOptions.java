package bulwark.cli;

import java.util.List;
import picocli.CommandLine;

/** Where the routing config lives in etcd: the options apply, diff and export share. */
final class EtcdOptions {
  @CommandLine.Option(
      names = "--etcd",
      required = true,
      split = ",",
      paramLabel = "URL",
      description = "etcd endpoints (http or https), comma-separated: http://127.0.0.1:2379.")
  List<String> endpoints;

  @CommandLine.Option(
      names = "--prefix",
      required = true,
      paramLabel = "P",
      description = "The key prefix the gateways read (configSource.etcd.prefix): /bulwark/prod.")
  String prefix;

  @CommandLine.Option(
      names = "--user",
      paramLabel = "NAME",
      description = "etcd user name (default: $BULWARK_ETCD_USER; none: no authentication).")
  String user;

  @CommandLine.Option(
      names = "--password",
      paramLabel = "SECRET",
      description =
          "etcd password (default: $BULWARK_ETCD_PASSWORD; prefer the variable: a command line is"
              + " visible to other users).")
  String password;

  String user() {
    return user != null ? user : blankToNull(System.getenv("BULWARK_ETCD_USER"));
  }

  String password() {
    return password != null ? password : blankToNull(System.getenv("BULWARK_ETCD_PASSWORD"));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
