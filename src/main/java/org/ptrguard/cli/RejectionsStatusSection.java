package org.ptrguard.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.ptrguard.monitor.RejectionSummary;
import org.ptrguard.monitor.RejectionSummary.IdentityRejections;
import org.ptrguard.ops.StatusSection;

/**
 * The receivers' reverse-DNS and HELO rejections of the last 24 hours in {@code ptrguard status}, per
 * identity: the daemon already follows Postfix's log, so the status asks it instead of reading the
 * log a second time.
 */
final class RejectionsStatusSection implements StatusSection {
  private final RejectionSummary summary;
  private final Supplier<Optional<String>> notFollowing;

  /**
   * @param notFollowing why the daemon follows no log of Postfix's right now (empty while it does):
   *     then "none seen" would claim more than the daemon knows
   */
  RejectionsStatusSection(RejectionSummary summary, Supplier<Optional<String>> notFollowing) {
    this.summary = summary;
    this.notFollowing = notFollowing;
  }

  @Override
  public String name() {
    return "receiver-rejections";
  }

  @Override
  public String title() {
    return "Receiver rejections in the last 24 h";
  }

  /**
   * Lines for people; data for programs (check and routes read it, docs/control.md):
   * {@code {following, not_following_reason, identities: [{identity, count, last_at, last_receiver,
   * last_class, last_text}]}}.
   */
  @Override
  public Content content() {
    Optional<String> off = notFollowing.get();
    List<IdentityRejections> all = summary.last24h();
    List<String> lines = new ArrayList<>();
    if (all.isEmpty()) {
      lines.add("none seen");
    }
    off.ifPresent(why -> lines.add("not following Postfix's log now: " + why));
    List<Map<String, Object>> identities = new ArrayList<>();
    for (IdentityRejections r : all) {
      lines.add(r.identity() + ": " + r.count() + (r.count() == 1 ? " rejection" : " rejections") + ", last at "
          + r.lastAt() + " by " + r.lastReceiver() + " (" + r.lastClass() + "): " + r.lastText());
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("identity", r.identity());
      d.put("count", r.count());
      d.put("last_at", r.lastAt().toString());
      d.put("last_receiver", r.lastReceiver());
      d.put("last_class", r.lastClass());
      d.put("last_text", r.lastText());
      identities.add(d);
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("following", off.isEmpty());
    data.put("not_following_reason", off.orElse(null));
    data.put("identities", identities);
    return new Content(lines, data);
  }
}
