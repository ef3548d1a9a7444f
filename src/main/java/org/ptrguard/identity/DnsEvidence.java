package org.ptrguard.identity;

import java.net.InetAddress;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.ptrguard.dns.DnsOutcome;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Reading DNS answers for the judges and writing them as evidence lines: what a finding quotes is
 * what an admin would see with dig, so the record data is written as an admin would type it.
 */
final class DnsEvidence {
  private DnsEvidence() {}

  /** The PTR names of an answer, normalized and sorted; empty for any other outcome. */
  static List<String> ptrNames(DnsOutcome ptr) {
    if (!(ptr instanceof DnsOutcome.Answer a)) {
      return List.of();
    }
    // Sorted: servers rotate the order of an RRset, and only the first few names are chased,
    // so the server's order would make the verdict (and the names in messages) change between checks.
    return a.records().stream().filter(r -> r instanceof PTRRecord)
        .map(r -> HostNames.normalize(((PTRRecord) r).getTarget().toString())).distinct().sorted().toList();
  }

  /** The addresses of an A or AAAA answer (IPv4-mapped IPv6 as IPv4, as the source address is compared). */
  static Set<InetAddress> addresses(DnsOutcome.Answer a) {
    Set<InetAddress> out = new LinkedHashSet<>();
    for (Record r : a.records()) {
      if (r instanceof ARecord ar) {
        out.add(ar.getAddress());
      } else if (r instanceof AAAARecord aaaa) {
        out.add(IpLiterals.unmapped(aaaa.getAddress()));
      }
    }
    return out;
  }

  /** The zone a negative answer's SOA names; "" when there is none. */
  static String zoneOf(DnsOutcome o) {
    if (o instanceof DnsOutcome.NxDomain n) {
      return n.zone();
    }
    return o instanceof DnsOutcome.NoData d ? d.zone() : "";
  }

  /** The negative-caching TTL of an NXDOMAIN or NODATA answer; 0 for any other outcome. */
  static long negativeTtl(DnsOutcome o) {
    return o instanceof DnsOutcome.NxDomain n ? n.negativeTtl() : o instanceof DnsOutcome.NoData d ? d.negativeTtl() : 0;
  }

  /** One line per record: owner, type, data, TTL and the resolver that answered. */
  static List<String> records(DnsOutcome.Answer a) {
    return a.records().stream().map(r -> lower(r.getName()) + " " + Type.string(r.getType()) + " "
        + rdata(r) + " (ttl " + r.getTTL() + ", from " + a.resolver() + ")").toList();
  }

  /** Record data as an admin would type it: AAAA in RFC 5952 form, names in lower case. */
  static String rdata(Record r) {
    if (r instanceof AAAARecord aaaa) {
      return Addresses.text(aaaa.getAddress().getAddress());
    }
    return r.rdataToString().toLowerCase(Locale.ROOT);
  }

  /** An outcome in words, with the records of an answer and the resolver in every case. */
  static String describe(DnsOutcome o) {
    if (o instanceof DnsOutcome.Answer a) {
      return String.join(", ", a.records().stream().map(r -> rdata(r) + " (ttl " + r.getTTL() + ")").toList())
          + " from " + a.resolver();
    }
    if (o instanceof DnsOutcome.NxDomain n) {
      return "NXDOMAIN (no such name) from " + n.resolver();
    }
    if (o instanceof DnsOutcome.NoData d) {
      return "no record of this type (NODATA) from " + d.resolver();
    }
    if (o instanceof DnsOutcome.ServFail s) {
      return "SERVFAIL from " + s.resolver();
    }
    if (o instanceof DnsOutcome.Timeout t) {
      return "no answer (timeout) from " + t.resolver();
    }
    DnsOutcome.Failure f = (DnsOutcome.Failure) o;
    return "failed (" + f.reason() + ") at " + f.resolver();
  }

  /** A DNS name as text in lower case, with its trailing dot. */
  static String lower(Name n) {
    return n.toString().toLowerCase(Locale.ROOT);
  }

  /** hostmaster.isp.example.net. -> hostmaster@isp.example.net */
  static String mailbox(Name admin) {
    String s = HostNames.normalize(admin.toString());
    int dot = s.indexOf('.');
    return dot < 0 ? s : s.substring(0, dot) + "@" + s.substring(dot + 1);
  }
}
