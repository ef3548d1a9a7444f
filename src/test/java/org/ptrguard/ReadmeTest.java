package org.ptrguard;

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

/**
 * The README stays a page an admin reads (under 15 KB), its two commands stay true (CI runs the test
 * command word for word), and no link in the README or docs/ points at a file that is gone.
 */
class ReadmeTest {
  private static final Path README = Path.of("README.md");
  private static final Pattern FENCE = Pattern.compile("(?s)```\\n(.*?)```");
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)#\\s]+)(#[^)]*)?\\)");

  private static List<String> fencedBlocks(String markdown) {
    List<String> blocks = new ArrayList<>();
    Matcher m = FENCE.matcher(markdown);
    while (m.find()) {
      blocks.add(m.group(1).strip());
    }
    return blocks;
  }

  @Test
  void isUnder15KB() throws IOException {
    assertThat(Files.size(README)).isLessThan(15 * 1024);
  }

  @Test
  void theBuildCommandInstallsWhatTheBuildNeedsAndTheTestCommandIsWhatCiRuns() throws IOException {
    List<String> blocks = fencedBlocks(Files.readString(README));
    String build = blocks.get(0);
    String tests = blocks.get(1);
    assertThat(build).isEqualTo(".ci/install-build-deps && mvn -B -q package -DskipTests && java -jar target/ptrguard.jar");
    assertThat(Path.of(".ci/install-build-deps")).isExecutable();
    assertThat(tests).doesNotContain("\n").contains("mvn -B verify");
    assertThat(Files.readAllLines(Path.of(".ci/run"))).contains(tests);
    assertThat(Path.of(".ci/install-deps")).isExecutable();
  }

  @Test
  void relativeLinksInTheReadmeAndDocsResolve() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(README, Path.of("bench/results/HISTORY.md")));
    try (Stream<Path> docs = Files.list(Path.of("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).forEach(pages::add);
    }
    for (Path page : pages) {
      Matcher m = LINK.matcher(Files.readString(page));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("[a-z]+:.*")) {
          continue; // https:, man: and the like
        }
        assertThat(page.resolveSibling(target).normalize()).as("link " + target + " in " + page).exists();
      }
    }
  }
}
