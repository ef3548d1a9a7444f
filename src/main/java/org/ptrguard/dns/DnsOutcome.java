package org.ptrguard.dns;

import java.util.List;
import org.xbill.DNS.Record;

/**
 * The result of one DNS question, with the cases a receiver distinguishes spelled out. NXDOMAIN and
 * NODATA are facts about the zone ("there is no PTR"); SERVFAIL, timeouts and other failures only
 * say "could not find out" and must never be reported as a missing record.
 */
public sealed interface DnsOutcome {
  /** Which resolver view answered (or failed to). */
  String resolver();

  /** True for outcomes that say nothing about the zone (retry later). */
  default boolean isTemporary() {
    return this instanceof ServFail || this instanceof Timeout || this instanceof Failure;
  }

  /**
   * True when the reply carried the AA bit: it comes from a server of the zone itself, not from a
   * cache, so asking the zone's authoritative servers again would only repeat it.
   */
  default boolean authoritative() {
    return false;
  }

  /** Records of the asked type (after following CNAMEs), the chain of aliases, and the smallest TTL. */
  record Answer(List<Record> records, List<String> aliases, long minTtl, String resolver, boolean authoritative)
      implements DnsOutcome {
    public Answer {
      records = List.copyOf(records);
      aliases = List.copyOf(aliases);
    }

    /** From a cache (no AA bit). */
    public Answer(List<Record> records, List<String> aliases, long minTtl, String resolver) {
      this(records, aliases, minTtl, resolver, false);
    }
  }

  /**
   * The name does not exist. {@code negativeTtl} and {@code zone} come from the SOA in the
   * authority section (0 and "" when the server sent none): the zone is where the record belongs.
   * From a cache the TTL is what is left of it; from the zone's own server it is the whole
   * negative-caching time (RFC 2308: the smaller of the SOA's TTL and its minimum field).
   */
  record NxDomain(long negativeTtl, String zone, String resolver, boolean authoritative) implements DnsOutcome {
    /** From a cache (no AA bit). */
    public NxDomain(long negativeTtl, String zone, String resolver) {
      this(negativeTtl, zone, resolver, false);
    }
  }

  /** The name exists but has no record of the asked type; TTL and zone as for NXDOMAIN. */
  record NoData(long negativeTtl, String zone, String resolver, boolean authoritative) implements DnsOutcome {
    /** From a cache (no AA bit). */
    public NoData(long negativeTtl, String zone, String resolver) {
      this(negativeTtl, zone, resolver, false);
    }
  }

  record ServFail(String resolver) implements DnsOutcome {}

  record Timeout(String resolver) implements DnsOutcome {}

  /** Any other failure: refused, malformed answer, network error, CNAME loop. */
  record Failure(String reason, String resolver) implements DnsOutcome {}

  /** Every word {@link #word} can return (DnsOutcomeTest keeps them in step). */
  List<String> WORDS = List.of("noerror", "nxdomain", "nodata", "servfail", "timeout", "failure");

  /** A short word for logs and metrics. */
  static String word(DnsOutcome outcome) {
    if (outcome instanceof Answer) {
      return "noerror";
    }
    if (outcome instanceof NxDomain) {
      return "nxdomain";
    }
    if (outcome instanceof NoData) {
      return "nodata";
    }
    if (outcome instanceof ServFail) {
      return "servfail";
    }
    return outcome instanceof Timeout ? "timeout" : "failure";
  }
}
