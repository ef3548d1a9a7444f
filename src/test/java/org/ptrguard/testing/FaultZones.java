package org.ptrguard.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Zones with awkward but legal data, for fault tests, generated rather than checked in because
 * they are mostly repetition. 198.51.100.0/24 (TEST-NET-2) and names under *.example.com:
 * <ul>
 *   <li>198.51.100.10: one PTR, mail.faults.example.com, forward-confirmed (the control case)</li>
 *   <li>198.51.100.40: {@link #MANY_PTRS} PTR names with long labels (an answer of several KB);
 *       host-00 resolves back</li>
 *   <li>198.51.100.42: PTR owner in a CNAME loop (42 -> 42a -> 42)</li>
 *   <li>chain8-0 / chain9-0: CNAME chains of 8 and 9 aliases inside one zone, ending in an A record</li>
 *   <li>hop8-0 / hop9-0: chains of 8 and 9 aliases that leave the zone, so the client asks again</li>
 *   <li>xloop-a (forward zone) -> xloop-b (other zone) -> xloop-a: a loop that leaves the zone</li>
 *   <li>loop-a -> loop-b -> loop-c -> loop-a; txt-heavy: {@link #TXT_RECORDS} TXT records of 200 bytes</li>
 * </ul>
 */
public final class FaultZones {
  public static final String FORWARD = "faults.example.com";
  public static final String OTHER = "faults2.example.com";
  public static final String REVERSE = "100.51.198.in-addr.arpa";
  public static final int MANY_PTRS = 40;
  public static final int TXT_RECORDS = 100;
  private static final String SOA = """
      $TTL 300
      @ IN SOA ns1.faults.example.com. hostmaster.faults.example.com. 1 3600 600 86400 60
      @ IN NS ns1.faults.example.com.
      """;

  private FaultZones() {}

  public static String longName(int i) {
    return "host-%02d-with-a-rather-long-label-so-the-answer-grows-quickly.%s".formatted(i, FORWARD);
  }

  /** Loads the three zones into {@code server}; files go to {@code dir}. */
  public static TestDnsServer load(TestDnsServer server, Path dir) {
    try {
      StringBuilder reverse = new StringBuilder(SOA);
      reverse.append("10 IN PTR mail.").append(FORWARD).append(".\n");
      for (int i = 0; i < MANY_PTRS; i++) {
        reverse.append("40 IN PTR ").append(longName(i)).append(".\n");
      }
      reverse.append("42 IN CNAME 42a\n42a IN CNAME 42\n");
      StringBuilder forward = new StringBuilder(SOA);
      forward.append("mail IN A 198.51.100.10\n");
      forward.append(longName(0), 0, longName(0).indexOf('.')).append(" IN A 198.51.100.40\n");
      chain(forward, "chain8", 8, "target", "");
      chain(forward, "chain9", 9, "target", "");
      forward.append("target IN A 198.51.100.8\n");
      forward.append("loop-a IN CNAME loop-b\nloop-b IN CNAME loop-c\nloop-c IN CNAME loop-a\n");
      for (int i = 0; i < TXT_RECORDS; i++) {
        // Distinct strings: identical records would be one record of the RRset.
        forward.append("txt-heavy IN TXT \"").append("%03d".formatted(i)).append("x".repeat(197)).append("\"\n");
      }
      // Chains that alternate between the two zones: every hop leaves the zone of the previous one.
      StringBuilder other = new StringBuilder(SOA);
      crossChain(forward, other, "hop8", 8);
      crossChain(forward, other, "hop9", 9);
      other.append("target IN A 198.51.100.9\n");
      forward.append("xloop-a IN CNAME xloop-b.").append(OTHER).append(".\n");
      other.append("xloop-b IN CNAME xloop-a.").append(FORWARD).append(".\n");
      Path r = Files.writeString(dir.resolve(REVERSE + ".zone"), reverse);
      Path f = Files.writeString(dir.resolve(FORWARD + ".zone"), forward);
      Path o = Files.writeString(dir.resolve(OTHER + ".zone"), other);
      return server.zone(REVERSE, r).zone(FORWARD, f).zone(OTHER, o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** prefix-0 CNAME prefix-1 ... prefix-(n-1) CNAME target: n aliases. */
  private static void chain(StringBuilder zone, String prefix, int n, String target, String suffix) {
    for (int i = 0; i < n; i++) {
      String next = i == n - 1 ? target : prefix + "-" + (i + 1);
      zone.append(prefix).append('-').append(i).append(" IN CNAME ").append(next).append(suffix).append('\n');
    }
  }

  /** prefix-i lives in FORWARD for even i and OTHER for odd i; the last alias points at target.OTHER. */
  private static void crossChain(StringBuilder forward, StringBuilder other, String prefix, int n) {
    for (int i = 0; i < n; i++) {
      StringBuilder zone = i % 2 == 0 ? forward : other;
      String next = i == n - 1 ? "target." + OTHER + "."
          : prefix + "-" + (i + 1) + "." + ((i + 1) % 2 == 0 ? FORWARD : OTHER) + ".";
      zone.append(prefix).append('-').append(i).append(" IN CNAME ").append(next).append('\n');
    }
  }
}
