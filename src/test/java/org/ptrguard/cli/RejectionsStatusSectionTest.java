package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.ptrguard.monitor.RejectionSummary;
import org.ptrguard.ops.StatusSection.Content;

class RejectionsStatusSectionTest {
  private Instant now = Instant.parse("2026-12-03T08:00:00Z");
  private java.util.Optional<String> following = java.util.Optional.empty();
  private final Clock clock = new Clock() {
    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  };

  @Test
  void showsEachIdentitysCountAndLatestRejectionAndForgetsThemAfterADay() {
    RejectionSummary summary = new RejectionSummary(clock);
    RejectionsStatusSection section = new RejectionsStatusSection(summary, () -> following);
    assertThat(section.content().lines()).containsExactly("none seen");

    summary.add("smtp-a", "mxg4.example.com[198.51.100.25]", "fcrdns", "550 5.7.25 first");
    now = now.plusSeconds(60);
    summary.add("smtp-a", "mxg6.example.com[2001:db8::25]", "ipv6-ptr", "550 5.7.1 second");

    Content c = section.content();
    assertThat(c.lines()).singleElement().asString()
        .startsWith("smtp-a: 2 rejections, last at 2026-12-03T08:01:00Z by mxg6.example.com[2001:db8::25] (ipv6-ptr)")
        .endsWith("550 5.7.1 second");
    @SuppressWarnings("unchecked")
    Map<String, Object> all = (Map<String, Object>) c.data();
    assertThat(all).containsEntry("following", true).containsEntry("not_following_reason", null);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> data = (List<Map<String, Object>>) all.get("identities");
    assertThat(data).singleElement().satisfies(d -> {
      assertThat(d).containsEntry("identity", "smtp-a").containsEntry("count", 2)
          .containsEntry("last_class", "ipv6-ptr");
    });

    now = now.plus(Duration.ofHours(25));
    assertThat(section.content().lines()).containsExactly("none seen");

    // A daemon that follows no log cannot claim that none were seen and nothing more.
    following = java.util.Optional.of("feedback.source = off");
    assertThat(section.content().lines()).containsExactly("none seen",
        "not following Postfix's log now: feedback.source = off");
    @SuppressWarnings("unchecked")
    Map<String, Object> off = (Map<String, Object>) section.content().data();
    assertThat(off).containsEntry("following", false).containsEntry("not_following_reason", "feedback.source = off");
  }
}
