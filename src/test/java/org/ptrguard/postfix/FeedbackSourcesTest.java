package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.FeedbackSource;
import org.ptrguard.config.FeedbackSource.Kind;

class FeedbackSourcesTest {
  @TempDir Path dir;

  private FeedbackSources.Probe probe(boolean journal, Path mailLog, Optional<String> maillogFile) {
    return new FeedbackSources.Probe() {
      @Override
      public boolean journalHasPostfix() {
        return journal;
      }

      @Override
      public Optional<String> maillogFile() {
        return maillogFile;
      }

      @Override
      public Path mailLog() {
        return mailLog;
      }
    };
  }

  @Test
  void autoPrefersTheJournalThenMailLogThenMaillogFile() throws Exception {
    Path mailLog = dir.resolve("mail.log");
    Path maillog = dir.resolve("postfix.log");
    Files.writeString(maillog, "");
    assertThat(FeedbackSources.resolve(FeedbackSource.AUTO, probe(true, mailLog, Optional.empty())).kind())
        .isEqualTo(Kind.JOURNAL);

    FeedbackSources.Resolved viaMaillog = FeedbackSources.resolve(FeedbackSource.AUTO,
        probe(false, mailLog, Optional.of(maillog.toString())));
    assertThat(viaMaillog.kind()).isEqualTo(Kind.FILE);
    assertThat(viaMaillog.file()).contains(maillog);
    assertThat(viaMaillog.why()).contains(mailLog + " does not exist").contains("maillog_file " + maillog + " is readable");

    Files.writeString(mailLog, "");
    assertThat(FeedbackSources.resolve(FeedbackSource.AUTO, probe(false, mailLog, Optional.of(maillog.toString()))).file())
        .contains(mailLog);
  }

  @Test
  void autoWithNothingToFollowIsOffAndSaysWhy() {
    FeedbackSources.Resolved off = FeedbackSources.resolve(FeedbackSource.AUTO,
        probe(false, dir.resolve("mail.log"), Optional.of("/dev/stdout")));
    assertThat(off.off()).isTrue();
    assertThat(off.why()).contains("no entries of Postfix's processes").contains("mail.log does not exist")
        .contains("maillog_file is /dev/stdout, not a file to follow");
    assertThat(FeedbackSources.resolve(FeedbackSource.AUTO, probe(false, dir, Optional.of(""))).why())
        .contains("is not a regular file").contains("maillog_file is not set");
  }

  @Test
  void explicitChoicesAreTakenAsGiven() {
    FeedbackSources.Probe never = probe(true, dir, Optional.empty());
    assertThat(FeedbackSources.resolve(FeedbackSource.parse("off"), never).off()).isTrue();
    assertThat(FeedbackSources.resolve(FeedbackSource.parse("journal"), never).kind()).isEqualTo(Kind.JOURNAL);
    assertThat(FeedbackSources.resolve(FeedbackSource.parse("file:/var/log/x.log"), never).description())
        .isEqualTo("file /var/log/x.log");
  }

  @Test
  void journalProbeOnThisMachine() {
    assertThat(FeedbackSources.journalHasEntries(List.of("/nonexistent/journalctl"))).isFalse();
    assertThat(FeedbackSources.journalHasEntries(List.of("journalctl", "--file=/nonexistent/x.journal", "--lines=1")))
        .isFalse();
    // a command that prints and exits 0 counts as "entries present"
    assertThat(FeedbackSources.journalHasEntries(List.of("echo", "Dec  3 postfix/qmgr[1]: x"))).isTrue();
  }
}
