package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.identity.PublicSuffixes;
import org.ptrguard.testing.Commands;
import org.ptrguard.testing.ProcessResult;
import org.ptrguard.testing.PtrguardProcess;

/** {@code ptrguard config} says which public suffixes the packaged jar uses: Debian's list, or the embedded subset. */
class PublicSuffixConfigIT {
  @TempDir
  Path dir;

  private ProcessResult config(String... jvmOptions) throws Exception {
    Path conf = Files.writeString(dir.resolve("ptrguard.conf"), "mode = audit\n");
    ProcessResult r = Commands.run(Duration.ofSeconds(60),
        PtrguardProcess.command(List.of(jvmOptions), "config", "--config", conf.toString()));
    assertThat(r.exitCode()).as(r.describe()).isZero();
    return r;
  }

  @Test
  void debiansListWhenInstalled() throws Exception {
    assertThat(PublicSuffixes.DEBIAN_LIST).as("install the Debian package publicsuffix (.ci/install-deps)").isReadable();
    assertThat(config().stdout()).containsPattern(
        "(?m)^# public suffixes: the public suffix list /usr/share/publicsuffix/public_suffix_list.dat, \\d{4,} rules$");
  }

  @Test
  void embeddedSubsetWithoutIt() throws Exception {
    Path absent = dir.resolve("no-such-list.dat");
    assertThat(config("-D" + PublicSuffixes.PROPERTY + "=" + absent).stdout()).containsPattern(
        "(?m)^# public suffixes: ptrguard's embedded subset \\(" + absent + " not found; the Debian package publicsuffix provides it\\), \\d+ rules$");
  }
}
