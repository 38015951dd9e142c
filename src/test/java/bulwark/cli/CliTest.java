package bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {
  record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true));
      System.setErr(new PrintStream(err, true));
      int code = new CommandLine(new Main()).execute(args);
      return new Run(code, out.toString(), err.toString());
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void aPlainRunCommandLineIsParsedWithoutPicocli() {
    RunCommand c = RunCommand.plain(new String[] {"run", "-c", "a.yaml"});
    assertThat(c.config).isEqualTo(Path.of("a.yaml"));
    assertThat(c.noWatch).isFalse();
    c = RunCommand.plain(new String[] {"run", "--no-watch", "--config", "b.yaml"});
    assertThat(c.config).isEqualTo(Path.of("b.yaml"));
    assertThat(c.noWatch).isTrue();
    assertThat(RunCommand.plain(new String[] {"run", "--config=c.yaml"}).config)
        .isEqualTo(Path.of("c.yaml"));
    // anything else is picocli's to parse and report
    for (String[] other :
        new String[][] {
          {"run", "-c"},
          {"run", "--help", "-c", "a.yaml"},
          {"run", "-c", "a.yaml", "-c", "b.yaml"},
          {"run", "-c", "--no-watch"},
          {"run", "--no-watch", "--no-watch", "-c", "a.yaml"},
          {"run", "-c", "a.yaml", "extra"},
          {"validate", "-c", "a.yaml"},
          {"run", "--config="},
        }) assertThat(RunCommand.plain(other)).as(String.join(" ", other)).isNull();
  }

  @Test
  void validateAcceptsTheDemoConfigWithAOneLineSummary() {
    Run r = run("validate", "-c", "examples/demo.yaml");
    assertThat(r.code()).isZero();
    assertThat(r.out().strip())
        .contains("valid (4 routes, 3 upstreams, 1 middleware;")
        .doesNotContain("\n");
  }

  @Test
  void validateCountsInCorrectPlurals(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("one.yaml");
    Files.writeString(
        f,
        """
        upstreams:
          users: { targets: [ { url: http://127.0.0.1:8081 } ] }
        routes:
          - { name: a, match: { path: /a }, upstream: users }
        """);
    Run r = run("validate", "-c", f.toString());
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("valid (1 route, 1 upstream, 0 middlewares;");
    Files.writeString(f, "routes:\n  - { name: a, match: { path: /a }, upstream: nope }\n");
    assertThat(run("validate", "-c", f.toString()).err()).startsWith(f + ": 1 error\n");
  }

  @Test
  void validateNamesWhyAFileCannotBeRead(@TempDir Path dir) {
    Path missing = dir.resolve("missing.yaml");
    Run r = run("validate", "-c", missing.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("cannot read " + missing + ": no such file");
  }

  @Test
  void theDemoRunsOnAScratchCopyAndLeavesTheExampleAsItIs() throws Exception {
    Path example = Path.of("examples/demo.yaml");
    String before = Files.readString(example);
    Path copy = DemoCommand.scratchCopy(example);
    try {
      assertThat(copy.toAbsolutePath().getParent())
          .isNotEqualTo(example.toAbsolutePath().getParent());
      assertThat(copy.getFileName().toString()).isEqualTo("demo.yaml");
      assertThat(Files.readString(copy)).isEqualTo(before);
      Files.writeString(copy, "edited\n");
      assertThat(Files.readString(example)).isEqualTo(before);
    } finally {
      Files.deleteIfExists(copy);
      Files.deleteIfExists(copy.getParent());
    }
  }

  @Test
  void validatePrintsEveryErrorWithItsPathAndExits2(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(
        f,
        """
        server:
          listen: "127.0.0.1:8080"
          limits: { maxBodyBytes: 10MB }
        upstreams:
          users: { targets: [ { url: http://127.0.0.1:8081 } ], balancr: random }
        routes:
          - { name: a, match: { path: /a }, upstream: users }
          - { name: a, match: { path: /b }, upstream: users }
          - { name: c, match: { path: /c }, upstream: user }
        """);
    Run r = run("validate", "-c", f.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err())
        .contains("server.limits.maxBodyBytes: '10MB' is not a size")
        .contains("upstreams.users.balancr: unknown key 'balancr' (did you mean 'balancer'?)")
        .contains("routes[1].name: duplicate route name 'a'")
        .contains("routes[2].upstream: unknown upstream 'user' (did you mean 'users'?)");
  }

  @Test
  void everyCommandHasHelp() {
    for (String cmd : new String[] {"run", "validate", "demo", "version"}) {
      Run r = run(cmd, "--help");
      assertThat(r.code()).as(cmd).isZero();
      assertThat(r.out()).as(cmd).contains("Usage: bulwark " + cmd);
    }
    assertThat(run("--help").out()).contains("run", "validate", "demo", "version");
  }

  @Test
  void versionNamesTheRuntime() {
    Run r = run("version");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("bulwark ").contains("Vert.x 5.");
  }

  @Test
  void runRefusesABadConfigWithoutStarting(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, "admin: { listen: \"0.0.0.0:9901\" }\n");
    Run r = run("run", "-c", f.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("not started").contains("admin.token");
  }
}
