package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import bulwark.config.ConfigLoader;
import bulwark.server.Gateway;
import bulwark.server.ListenException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A port that is already taken names the listener, its address and its config field; the CLI exits
 * 2.
 */
class ListenIT {
  private static ServerSocket hold() throws Exception {
    return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  }

  private static String config(int port, int admin) {
    return """
        server:
          listen: "127.0.0.1:%d"
        admin:
          listen: "127.0.0.1:%d"
        observability:
          accessLog: { enabled: false }
        upstreams:
          up: { targets: [ { url: "http://127.0.0.1:9" } ] }
        routes:
          - { name: all, match: { path: /** }, upstream: up }
        """
        .formatted(port, admin);
  }

  @Test
  void theRealCliNamesTheBusyDataListenerAndExits2(@TempDir Path dir) throws Exception {
    try (ServerSocket busy = hold()) {
      int port = busy.getLocalPort();
      Path cfg = dir.resolve("bulwark.yaml");
      Files.writeString(cfg, config(port, TestSupport.freePort()));
      Path log = dir.resolve("out.log");
      Process p = ShutdownIT.startChild(cfg, log);
      try {
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(Files.readString(log))
            .contains(
                cfg
                    + ": not started, the data listener cannot listen on 127.0.0.1:"
                    + port
                    + " (server.listen): the address is already in use")
            .doesNotContain("NativeIoException")
            .doesNotContain("\tat ");
      } finally {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void aBusyAdminPortIsNamedAndTheDataPortIsFreedAgain(@TempDir Path dir) throws Exception {
    try (ServerSocket busy = hold()) {
      int port = TestSupport.freePort();
      Path cfg = dir.resolve("bulwark.yaml");
      Files.writeString(cfg, config(port, busy.getLocalPort()));
      assertThatThrownBy(
              () -> Gateway.start(cfg, new ConfigLoader(Map.<String, String>of()::get), false))
          .isInstanceOf(ListenException.class)
          .hasMessage(
              "the admin listener cannot listen on 127.0.0.1:"
                  + busy.getLocalPort()
                  + " (admin.listen): the address is already in use by another process (or another listener of this config)");
      // the data listener that did bind was closed again
      try (ServerSocket again = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
        assertThat(again.getLocalPort()).isEqualTo(port);
      }
    }
  }

  @Test
  void aBusyTlsPortSaysTls(@TempDir Path dir) throws Exception {
    TestCerts.Pair ca = TestCerts.ca(dir, "ca");
    TestCerts.Pair leaf =
        TestCerts.leaf(dir, ca, "gw", "gw.test", "Bulwark", "DNS:gw.test", "IP:127.0.0.1");
    try (ServerSocket busy = hold()) {
      Path cfg = dir.resolve("bulwark.yaml");
      Files.writeString(
          cfg,
          config(busy.getLocalPort(), TestSupport.freePort())
              .replace(
                  "server:\n",
                  """
          server:
            tls:
              certificates:
                - { cert: "%s", key: "%s" }
          """
                      .formatted(leaf.cert(), leaf.key())));
      assertThatThrownBy(
              () -> Gateway.start(cfg, new ConfigLoader(Map.<String, String>of()::get), false))
          .isInstanceOf(ListenException.class)
          .hasMessageStartingWith(
              "the data listener (TLS) cannot listen on 127.0.0.1:"
                  + busy.getLocalPort()
                  + " (server.listen): the address is already in use");
    }
  }

  @Test
  void theDemoNamesABusyUpstreamPortAndExits2() throws Exception {
    ServerSocket busy = null;
    try {
      busy = new ServerSocket(18081, 50, InetAddress.getByName("127.0.0.1"));
    } catch (java.net.BindException e) {
      // something else holds it already: busy either way
    }
    try {
      PrintStream oldErr = System.err;
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code;
      try {
        System.setErr(new PrintStream(err, true));
        code = new CommandLine(new bulwark.cli.Main()).execute("demo");
      } finally {
        System.setErr(oldErr);
      }
      assertThat(code).isEqualTo(2);
      assertThat(err.toString())
          .contains(
              "demo: not started, the demo upstream users-a cannot listen on 127.0.0.1:18081: the address is already in use");
    } finally {
      if (busy != null) busy.close();
    }
  }
}
