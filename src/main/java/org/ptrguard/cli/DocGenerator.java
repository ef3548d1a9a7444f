package org.ptrguard.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.ptrguard.config.ConfigReference;
import org.ptrguard.ops.BuildInfo;

/**
 * Build step (Maven's process-classes phase): writes {@code man/ptrguard.8}, {@code man/ptrguard.conf.5}
 * and {@code completion/ptrguard} under the build directory, from the same declarations as
 * {@code --help}. With {@code docs} as the only argument it rewrites {@code docs/configuration.md}
 * instead (ConfigReferenceTest fails while that file is out of date).
 *
 * <p>Arguments: {@code BUILD_DIR OUTPUT_TIMESTAMP} (the pom's project.build.outputTimestamp, so the
 * pages' date is reproducible), or {@code docs}.
 */
public final class DocGenerator {
  private DocGenerator() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 1 && args[0].equals("docs")) {
      write(Path.of("docs/configuration.md"), ConfigReference.markdown());
      return;
    }
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: DocGenerator BUILD_DIR OUTPUT_TIMESTAMP | docs");
    }
    Path build = Path.of(args[0]);
    String date = args[1].length() >= 10 ? args[1].substring(0, 10) : args[1];
    String version = BuildInfo.version();
    write(build.resolve("man/ptrguard.8"), ManPage.ptrguard8(Commands.ALL, date, version));
    write(build.resolve("man/ptrguard.conf.5"), ManPage.ptrguardConf5(date, version));
    write(build.resolve("completion/ptrguard"), BashCompletion.script(Commands.ALL));
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
