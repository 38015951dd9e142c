package bulwark.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of admin /metrics (Prometheus text format), parsed into series. */
final class Scrape {
  record Series(String name, Map<String, String> labels, double value) {
    boolean has(String... labelPairs) {
      for (int i = 0; i < labelPairs.length; i += 2) {
        if (!labelPairs[i + 1].equals(labels.get(labelPairs[i]))) return false;
      }
      return true;
    }
  }

  private static final Pattern LINE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)( \\S+)?$");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

  final String text;
  final List<Series> series = new ArrayList<>();

  Scrape(String text) {
    this.text = text;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      Matcher m = LINE.matcher(line);
      if (!m.matches()) throw new AssertionError("not an exposition line: " + line);
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) labels.put(l.group(1), l.group(2));
      }
      series.add(new Series(m.group(1), labels, Double.parseDouble(m.group(4))));
    }
  }

  /** Scrapes the gateway's admin /metrics now. */
  static Scrape of(TestSupport.RunningGateway gw) throws Exception {
    HttpResponse<String> r = TestSupport.get(gw.adminUrl("/metrics"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return new Scrape(r.body());
  }

  /** The series named {@code name} whose labels include the given name/value pairs. */
  List<Series> find(String name, String... labelPairs) {
    return series.stream().filter(s -> s.name.equals(name) && s.has(labelPairs)).toList();
  }

  /** The value of the one series that matches; fails when none or several do. */
  double value(String name, String... labelPairs) {
    List<Series> found = find(name, labelPairs);
    assertThat(found).as("%s %s in\n%s", name, List.of(labelPairs), grep(name)).hasSize(1);
    return found.get(0).value;
  }

  /** The value of the one series that matches, or 0 when none does (a counter not created yet). */
  double valueOrZero(String name, String... labelPairs) {
    List<Series> found = find(name, labelPairs);
    assertThat(found).as("%s %s", name, List.of(labelPairs)).hasSizeLessThanOrEqualTo(1);
    return found.isEmpty() ? 0 : found.get(0).value;
  }

  String grep(String prefix) {
    StringBuilder b = new StringBuilder();
    for (String line : text.split("\n")) if (line.startsWith(prefix)) b.append(line).append('\n');
    return b.toString();
  }
}
