import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Prints the totals of a Surefire run (scripts/test.sh runs it with the JDK's source launcher): the
 * skipped tests grouped by their reason, then, as the last line, {@code Tests: N passed, N failed,
 * N skipped} (failed counts failures and errors). Usage: java scripts/TestTotals.java
 * target/surefire-reports. Exits 1 when there is no report.
 */
public class TestTotals {
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "target/surefire-reports");
    List<Path> reports;
    try (Stream<Path> s = Files.isDirectory(dir) ? Files.list(dir) : Stream.empty()) {
      reports =
          s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).sorted().toList();
    }
    if (reports.isEmpty()) {
      System.out.println(
          "Tests: no Surefire report in " + dir + " (the build stopped before the tests ran)");
      System.exit(1);
    }
    long tests = 0, failures = 0, errors = 0, skipped = 0;
    Map<String, List<String>> skippedByReason = new LinkedHashMap<>();
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    for (Path report : reports) {
      Element suite = f.newDocumentBuilder().parse(report.toFile()).getDocumentElement();
      tests += count(suite, "tests");
      failures += count(suite, "failures");
      errors += count(suite, "errors");
      skipped += count(suite, "skipped");
      NodeList cases = suite.getElementsByTagName("testcase");
      for (int i = 0; i < cases.getLength(); i++) {
        Element c = (Element) cases.item(i);
        NodeList sk = c.getElementsByTagName("skipped");
        if (sk.getLength() == 0) continue;
        String reason = reason((Element) sk.item(0));
        String cls = c.getAttribute("classname");
        String name =
            cls.substring(cls.lastIndexOf('.') + 1)
                + (c.getAttribute("name").isEmpty() ? "" : "#" + c.getAttribute("name"));
        skippedByReason.computeIfAbsent(reason, r -> new ArrayList<>()).add(name);
      }
    }
    if (skipped > 0) {
      System.out.println(
          "Skipped: " + skipped + " test" + (skipped == 1 ? "" : "s") + ", by reason:");
      skippedByReason.forEach(
          (reason, names) -> {
            String which =
                names.size() <= 3
                    ? String.join(", ", names)
                    : String.join(", ", names.subList(0, 3))
                        + " and "
                        + (names.size() - 3)
                        + " more";
            System.out.println("  " + names.size() + " - " + reason + " (" + which + ")");
          });
    }
    long failed = failures + errors;
    System.out.println(
        "Tests: "
            + (tests - failed - skipped)
            + " passed, "
            + failed
            + " failed, "
            + skipped
            + " skipped");
  }

  /**
   * Why a test was skipped: the skipped element's message, or (as Surefire writes a JUnit 5
   * assumption) the first line of its text, "org.opentest4j.TestAbortedException: Assumption
   * failed: promtool is not installed", without the exception's name and "Assumption failed: ".
   */
  static String reason(Element skipped) {
    String r = skipped.getAttribute("message").strip();
    if (r.isEmpty()) {
      String text = skipped.getTextContent().strip();
      r = text.isEmpty() ? "" : text.lines().findFirst().orElse("").strip();
      r = r.replaceFirst("^[\\w.$]+(Exception|Error)(: |$)", "");
    }
    r = r.replaceFirst("^Assumption failed: ", "").strip();
    return r.isEmpty() ? "no reason given" : r;
  }

  private static long count(Element suite, String attribute) {
    String v = suite.getAttribute(attribute);
    return v.isEmpty() ? 0 : Long.parseLong(v);
  }
}
