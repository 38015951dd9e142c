package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Prometheus's promtool (Debian package prometheus; .ci/run installs it). Without it the
 * calling test is skipped on a workstation and fails under CI=true.
 */
public final class Promtool {
  private Promtool() {}

  public record Result(int exit, String output) {}

  public static Path binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      Path p = Path.of(dir, "promtool");
      if (Files.isExecutable(p)) return p;
    }
    boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
    assertThat(ci).as("promtool is not installed, and CI=true needs it (apt-get install prometheus)").isFalse();
    assumeTrue(false, "promtool is not installed (apt-get install prometheus); skipped outside CI");
    return null;
  }

  /** Runs promtool with {@code args}, feeding {@code stdin} (may be null); waits at most 60 s. */
  public static Result run(String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary().toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    return new Result(p.exitValue(), out);
  }
}
