package org.ptrguard.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

  RejectionsStatusSection(RejectionSummary summary) {
    this.summary = summary;
  }

  @Override
  public String name() {
    return "receiver-rejections";
  }

  @Override
  public String title() {
    return "Receiver rejections in the last 24 h";
  }

  @Override
  public Content content() {
    List<IdentityRejections> all = summary.last24h();
    if (all.isEmpty()) {
      return new Content(List.of("none seen"), List.of());
    }
    List<String> lines = new ArrayList<>();
    List<Map<String, Object>> data = new ArrayList<>();
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
      data.add(d);
    }
    return new Content(lines, data);
  }
}
