package bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** config is the bottom layer: it names no other Bulwark package, in an import or inline. */
class ConfigLayerTest {
  private static final Pattern OTHER =
      Pattern.compile("\\bbulwark\\.(?!config\\b)[a-z]+\\.([A-Z]|\\*)");

  @Test
  void configReferencesNoOtherBulwarkPackage() throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of("src/main/java/bulwark/config"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        List<String> lines = Files.readAllLines(f);
        for (int i = 0; i < lines.size(); i++) {
          String code = lines.get(i).replaceAll("//.*|^\\s*/?\\*.*", "");
          Matcher m = OTHER.matcher(code);
          if (m.find()) found.add(f.getFileName() + ":" + (i + 1) + ": " + lines.get(i).trim());
        }
      }
    }
    assertThat(found).isEmpty();
  }
}
