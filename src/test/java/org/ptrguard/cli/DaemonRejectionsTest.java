package org.ptrguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.ptrguard.cli.ControlCommands.DaemonAnswer;
import org.ptrguard.monitor.RejectionSummary;
import org.ptrguard.ops.StatusSection;

/**
 * The daemon's receiver-rejections section as check and routes read it: the status document comes
 * from the real section and DaemonControl's JSON writer, parsed back as the commands parse it.
 */
class DaemonRejectionsTest {
  private static final Instant T0 = Instant.parse("2026-12-03T08:00:00.123456Z");

  private static DaemonRejections fromDaemon(RejectionSummary summary, List<Map<String, Object>> identities) {
    return fromDaemon(summary, identities, Optional.empty());
  }

  private static DaemonRejections fromDaemon(RejectionSummary summary, List<Map<String, Object>> identities,
      Optional<String> notFollowing) {
    StatusSection.Content c = new RejectionsStatusSection(summary, () -> notFollowing).content();
    Map<String, Object> section = Map.of("name", "receiver-rejections", "title", "t", "lines", c.lines(),
        "data", c.data());
    String json = Json.write(Map.of("ok", true, "identities", identities, "sections", List.of(section)));
    return DaemonRejections.of(DaemonAnswer.of(ControlCommands.parse(json)));
  }

  @Test
  void routeServicesSharingAnIdentityAreMergedAndAnAdHocIdentityIsFoundByAddressAndEhlo() {
    RejectionSummary summary = new RejectionSummary(Clock.fixed(T0, ZoneOffset.UTC));
    summary.add("smtp", "mx.example.net[198.51.100.25]", "ptr", "550 5.7.25 first");
    summary.add("smtp-b", "mx6.example.net[2001:db8::25]", "ipv6-ptr", "550 5.7.1 second");
    summary.add("default", "mx.example.com[198.51.100.26]", "helo", "504 5.5.2 third");
    DaemonRejections r = fromDaemon(summary, List.of(Map.of("name", "default", "ip", "192.0.2.10", "ehlo",
        "mail.example.com")));

    assertThat(r.unavailable()).isEmpty();
    DaemonRejections.Entry both = r.of(List.of("smtp", "smtp-b")).orElseThrow();
    assertThat(both.count()).isEqualTo(2);
    assertThat(both.identities()).containsExactlyInAnyOrder("smtp", "smtp-b");
    assertThat(both.text()).startsWith("2 rejections in the last 24 h, last at 2026-12-03T08:00:00Z by ");

    Set<String> adHoc = r.namesFor(List.of("command-line"), Optional.of("192.0.2.10"), Optional.of("MAIL.example.com"));
    assertThat(adHoc).containsExactly("command-line", "default");
    assertThat(r.text(adHoc)).contains("1 rejection", "mx.example.com[198.51.100.26] (helo): 504 5.5.2 third");
    assertThat(r.text(List.of("other"))).isEqualTo("none in the last 24 h (running daemon)");
    @SuppressWarnings("unchecked")
    Map<String, Object> none = (Map<String, Object>) r.json(List.of("other"));
    assertThat(none).containsEntry("count", 0L).containsEntry("last_text", null);

    assertThat(r.others(Set.of("smtp", "smtp-b"))).extracting(e -> e.identities().get(0)).containsExactly("default");
    assertThat(CheckCommand.rejectionsFooter(r, Set.of("smtp", "smtp-b"))).singleElement().asString()
        .startsWith("receiver rejections of default (running daemon): 1 rejection");
  }

  @Test
  void withoutADaemonOrItsSectionTheReasonIsOneLineAndNoIdentityGetsAValue() {
    DaemonRejections gone = DaemonRejections.of(DaemonAnswer.unavailable("the daemon is not running (no control "
        + "socket at /run/ptrguard/control.sock)"));
    assertThat(gone.unavailable()).isPresent();
    assertThat(gone.json(List.of("smtp"))).isNull();
    assertThat(CheckCommand.rejectionsFooter(gone, Set.of())).containsExactly("receiver rejections (24 h): not "
        + "available: the daemon is not running (no control socket at /run/ptrguard/control.sock)");
    assertThat(gone.summaryJson(Set.of())).containsEntry("available", false)
        .containsEntry("unavailable_reason", "the daemon is not running (no control socket at /run/ptrguard/control.sock)");

    DaemonRejections older = DaemonRejections.of(DaemonAnswer.of(ControlCommands.parse(
        "{\"ok\":true,\"identities\":[],\"sections\":[]}")));
    assertThat(older.unavailable()).get().asString().contains("does not report receiver rejections");

    DaemonRejections notFollowing = fromDaemon(new RejectionSummary(Clock.fixed(T0, ZoneOffset.UTC)), List.of(),
        Optional.of("auto: no journal entries of Postfix, /var/log/mail.log missing"));
    assertThat(CheckCommand.rejectionsFooter(notFollowing, Set.of())).containsExactly("receiver rejections (24 h): not "
        + "available: the daemon does not follow Postfix's log now: auto: no journal entries of Postfix, "
        + "/var/log/mail.log missing");
    assertThat(notFollowing.json(List.of("smtp"))).isNull();
  }
}
