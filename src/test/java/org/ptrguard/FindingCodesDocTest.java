package org.ptrguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.ptrguard.monitor.ReceiverHolds;

/**
 * docs/finding-codes.md lists exactly the finding codes the product emits, and the README's link to
 * it names each of them: a new code in src/main without its row and its mention, or a row for a code
 * no longer emitted, fails here.
 */
class FindingCodesDocTest {
  private static final Path SOURCES = Path.of("src/main/java");
  private static final Path TABLE = Path.of("docs/finding-codes.md");
  /** A finding made in code: {@code new Finding("ptr.missing", ...)}, the code possibly on the next line. */
  private static final Pattern LITERAL = Pattern.compile("new Finding\\(\\s*\"([a-z0-9]+\\.[a-z0-9-]+)\"");
  /** ... or through a constant of the same file: {@code new Finding(CODE, ...)} with {@code String CODE = "dns.propagating"}. */
  private static final Pattern BY_CONSTANT = Pattern.compile("new Finding\\(\\s*([A-Z][A-Z0-9_]*)\\s*,");
  private static final String CONSTANT = "String %s = \"([a-z0-9]+\\.[a-z0-9-]+)\";";
  private static final Pattern ANY = Pattern.compile("new Finding\\(");
  /** A row of the table: {@code | `ptr.missing` | FAIL | ...}. */
  private static final Pattern ROW = Pattern.compile("(?m)^\\| `([a-z0-9]+\\.[a-z0-9-]+)` \\|");

  @Test
  void everyEmittedFindingCodeHasItsRowAndEveryRowIsEmitted() throws IOException {
    Set<String> emitted = new TreeSet<>();
    List<String> notLiteral = new ArrayList<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String text = Files.readString(f);
        Matcher m = LITERAL.matcher(text);
        int literal = 0;
        while (m.find()) {
          emitted.add(m.group(1));
          literal++;
        }
        Matcher c = BY_CONSTANT.matcher(text);
        while (c.find()) {
          Matcher value = Pattern.compile(String.format(CONSTANT, c.group(1))).matcher(text);
          if (value.find()) {
            emitted.add(value.group(1));
            literal++;
          }
        }
        if (ANY.matcher(text).results().count() != literal) {
          notLiteral.add(f.toString());
        }
      }
    }
    // Not a Finding of its own: the hold laid over a status by receiver feedback carries this code.
    emitted.add(ReceiverHolds.CODE);
    assertThat(notLiteral).as("findings whose code is not a string literal (this test could not see it)").isEmpty();
    assertThat(emitted).as("codes found in src/main").contains("ptr.missing", "dns.temporary", "egress.nat");

    Set<String> documented = new TreeSet<>();
    ROW.matcher(Files.readString(TABLE)).results().forEach(r -> documented.add(r.group(1)));
    assertThat(documented).as("rows of " + TABLE + " for the codes src/main emits").containsAll(emitted);
    assertThat(emitted).as("codes in " + TABLE + " that src/main no longer emits").containsAll(documented);
    String readme = Files.readString(Path.of("README.md"));
    assertThat(emitted).as("codes the README's documentation list names").allMatch(c -> readme.contains("`" + c + "`"));
  }
}
