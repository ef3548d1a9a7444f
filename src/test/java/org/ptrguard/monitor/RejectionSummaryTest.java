package org.ptrguard.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RejectionSummaryTest {
  @Test
  void countsTheLast24HoursPerIdentityWithTheLatestReceiverAndText() {
    MutableClock clock = new MutableClock(Instant.parse("2026-12-03T06:00:00Z"));
    RejectionSummary s = new RejectionSummary(clock);
    s.add("default", "mx1.example.net[198.51.100.20]", "ptr", "550 5.7.25 first");
    clock.advance(Duration.ofHours(20));
    s.add("default", "mx2.example.net[198.51.100.21]", "fcrdns", "550 5.7.25 second");
    s.add("smtp-b", "mx3.example.net[2001:db8:21::21]", "ipv6-ptr", "550 5.7.1 third");
    assertThat(s.last24h()).extracting(RejectionSummary.IdentityRejections::identity).containsExactlyInAnyOrder("default", "smtp-b");
    RejectionSummary.IdentityRejections d = s.last24h().stream().filter(r -> r.identity().equals("default")).findFirst().orElseThrow();
    assertThat(d.count()).isEqualTo(2);
    assertThat(d.lastReceiver()).isEqualTo("mx2.example.net[198.51.100.21]");
    assertThat(d.lastText()).isEqualTo("550 5.7.25 second");
    assertThat(d.lastClass()).isEqualTo("fcrdns");

    clock.advance(Duration.ofHours(5)); // the first is now 25 hours old
    d = s.last24h().stream().filter(r -> r.identity().equals("default")).findFirst().orElseThrow();
    assertThat(d.count()).isEqualTo(1);
    clock.advance(Duration.ofHours(20));
    assertThat(s.last24h()).isEmpty();
  }
}
