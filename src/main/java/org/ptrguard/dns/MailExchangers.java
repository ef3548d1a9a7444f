package org.ptrguard.dns;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Finds where mail for a destination goes the way Postfix's SMTP client does: the MX hosts of a
 * domain (in preference order) and their A/AAAA addresses, the domain's own addresses when it has
 * no MX (RFC 5321 implicit MX), or, for a bracketed nexthop, the host's addresses without an MX
 * lookup. Asynchronous; never completes exceptionally.
 */
public final class MailExchangers {
  /** One host mail would be sent to, with the addresses found for it. */
  public record Host(String name, int preference, List<InetAddress> addresses, List<String> problems) {
    public Host {
      addresses = List.copyOf(addresses);
      problems = List.copyOf(problems);
    }
  }

  /**
   * @param viaMx true when MX records named the hosts
   * @param nullMx the domain publishes "MX 0 ." (RFC 7505): it accepts no mail
   * @param ttl the smallest TTL of the answers used, in seconds
   * @param temporary some answer was a temporary failure (timeout, SERVFAIL): what is missing is not
   *     known to be missing
   * @param problem why nothing could be found, when that is so (NXDOMAIN, timeout, ...)
   */
  public record Destination(String name, boolean viaMx, List<Host> hosts, boolean nullMx, long ttl, boolean temporary,
      Optional<String> problem) {
    public Destination {
      hosts = List.copyOf(hosts);
    }

    /** Every address of every host, hosts in preference order. */
    public List<InetAddress> addresses() {
      return hosts.stream().flatMap(h -> h.addresses().stream()).toList();
    }
  }

  private final DnsClient dns;
  private final int maxHosts;

  /** @param maxHosts MX hosts looked at (receivers publish a handful; the rest are never reached first) */
  public MailExchangers(DnsClient dns, int maxHosts) {
    this.dns = dns;
    this.maxHosts = maxHosts;
  }

  /**
   * @param name a domain or host name (no trailing dot needed)
   * @param mxLookup false for a bracketed nexthop: the name is the host itself
   */
  public CompletableFuture<Destination> resolve(String name, boolean mxLookup) {
    Name n;
    try {
      n = Name.fromString(name.endsWith(".") ? name : name + ".");
    } catch (TextParseException e) {
      return CompletableFuture.completedFuture(new Destination(name, false, List.of(), false, 0, false,
          Optional.of("'" + name + "' is not a valid host name")));
    }
    if (!mxLookup) {
      return addresses(name, false, List.of(new Pending(n, 0)), Long.MAX_VALUE);
    }
    return dns.lookup(n, Type.MX).thenCompose(mx -> {
      if (mx instanceof DnsOutcome.Answer a) {
        List<Pending> hosts = new ArrayList<>();
        List<MXRecord> records = a.records().stream().filter(MXRecord.class::isInstance).map(MXRecord.class::cast)
            .sorted(Comparator.comparingInt(MXRecord::getPriority)).toList();
        for (MXRecord m : records) {
          if (m.getTarget().equals(Name.root)) {
            return CompletableFuture.completedFuture(new Destination(name, true, List.of(), true, a.minTtl(), false,
                Optional.of("null MX (\"MX 0 .\"): " + name + " accepts no mail")));
          }
          if (hosts.size() < maxHosts) {
            hosts.add(new Pending(m.getTarget(), m.getPriority()));
          }
        }
        return addresses(name, true, hosts, a.minTtl());
      }
      if (mx instanceof DnsOutcome.NoData) {
        return addresses(name, false, List.of(new Pending(n, 0)), Long.MAX_VALUE);
      }
      if (mx instanceof DnsOutcome.NxDomain) {
        return CompletableFuture.completedFuture(new Destination(name, true, List.of(), false, 0, false,
            Optional.of(name + " does not exist (NXDOMAIN)")));
      }
      return CompletableFuture.completedFuture(new Destination(name, true, List.of(), false, 0, true,
          Optional.of("MX lookup of " + name + " failed: " + describe(mx))));
    });
  }

  private record Pending(Name name, int preference) {}

  /** Asks A and AAAA of every host at once. */
  private CompletableFuture<Destination> addresses(String name, boolean viaMx, List<Pending> hosts, long ttlSoFar) {
    List<CompletableFuture<DnsOutcome>> answers = new ArrayList<>();
    for (Pending h : hosts) {
      answers.add(dns.lookup(h.name(), Type.A));
      answers.add(dns.lookup(h.name(), Type.AAAA));
    }
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> {
      List<Host> out = new ArrayList<>();
      long ttl = ttlSoFar;
      boolean temporary = false;
      for (int i = 0; i < hosts.size(); i++) {
        List<InetAddress> addresses = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (DnsOutcome o : List.of(answers.get(2 * i).join(), answers.get(2 * i + 1).join())) {
          if (o instanceof DnsOutcome.Answer a) {
            ttl = Math.min(ttl, a.minTtl());
            for (Record r : a.records()) {
              if (r instanceof ARecord ar) {
                addresses.add(ar.getAddress());
              } else if (r instanceof AAAARecord ar) {
                addresses.add(ar.getAddress());
              }
            }
          } else if (o.isTemporary()) {
            temporary = true;
            problems.add(describe(o));
          } else if (o instanceof DnsOutcome.NxDomain) {
            problems.add("NXDOMAIN");
          }
        }
        out.add(new Host(text(hosts.get(i).name()), hosts.get(i).preference(), addresses, problems.stream().distinct().toList()));
      }
      Optional<String> problem = Optional.empty();
      if (out.stream().allMatch(h -> h.addresses().isEmpty())) {
        String hostNames = String.join(", ", out.stream().map(Host::name).toList());
        String why = out.stream().flatMap(h -> h.problems().stream()).distinct().reduce((a, b) -> a + ", " + b)
            .orElse("no A or AAAA record");
        problem = Optional.of((viaMx ? "the mail exchangers of " + name + " (" + hostNames + ")" : hostNames)
            + (out.size() == 1 && !viaMx ? " has" : " have") + " no address: " + why);
      }
      return new Destination(name, viaMx, out, false, ttl == Long.MAX_VALUE ? 0 : ttl, temporary, problem);
    });
  }

  private static String text(Name n) {
    String s = n.toString(true).toLowerCase(Locale.ROOT);
    return s.isEmpty() ? "." : s;
  }

  /** A short phrase for a failed lookup. */
  static String describe(DnsOutcome o) {
    if (o instanceof DnsOutcome.Failure f) {
      return "failure (" + f.reason() + ")";
    }
    return DnsOutcome.word(o);
  }
}
