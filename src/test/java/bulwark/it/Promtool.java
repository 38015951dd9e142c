package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
    assertThat(ci)
        .as("promtool is not installed, and CI=true needs it (apt-get install prometheus)")
        .isFalse();
    assumeTrue(false, "promtool is not installed (apt-get install prometheus); skipped outside CI");
    return null;
  }

  /** Runs promtool with {@code args}, feeding {@code stdin} (may be null); waits at most 60 s. */
  public static Result run(String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary().toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    // read while writing: a large input must not deadlock on a full output pipe
    CompletableFuture<byte[]> out =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return p.getInputStream().readAllBytes();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
    try {
      return new Result(
          p.exitValue(), new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IOException("reading promtool's output", e);
    }
  }
}
