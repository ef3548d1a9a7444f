package org.ptrguard.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

/**
 * A zone's own name servers, found through the configured resolver (NS, then their addresses) and
 * asked directly: what receivers' resolvers will get once their caches expire. Every step is
 * bounded, whatever the zone publishes: at most {@link #MAX_NAME_SERVERS} NS names, {@link
 * #MAX_ADDRESSES_PER_SERVER} addresses each, {@link #MAX_SERVERS_TRIED} servers asked for the SOA,
 * one server asked the questions. Referrals are never followed, so a delegation that loops only
 * makes its servers lame. Nothing here throws: trouble is a line in {@link ZoneServers#problems}.
 */
public final class AuthoritativeServers {
  public static final int MAX_NAME_SERVERS = 4;
  public static final int MAX_ADDRESSES_PER_SERVER = 2;
  public static final int MAX_SERVERS_TRIED = 4;
  /** Direct clients kept for reuse across checks; beyond this the map starts over (zones are few). */
  private static final int MAX_CLIENTS = 64;

  /**
   * The zone's server that answered its SOA with the AA bit, if any, and what went wrong on the way.
   *
   * @param negativeCaching how long resolvers cache a negative answer of the zone (RFC 2308: the
   *     smaller of the SOA's TTL and its minimum field); 0 when no server answered
   */
  public record ZoneServers(String zone, Optional<DnsClient> server, long negativeCaching, List<String> problems) {
    public ZoneServers {
      problems = List.copyOf(problems);
    }

    /** Asks the zone's server; a Failure when there is none (never completes exceptionally). */
    public CompletableFuture<DnsOutcome> ask(Name name, int type) {
      return server.map(s -> s.lookup(name, type)).orElseGet(() -> CompletableFuture.completedFuture(
          new DnsOutcome.Failure("no authoritative server of " + zone + " answered", zone)));
    }
  }

  private final DnsClient resolver;
  private final int port;
  private final Duration timeout;
  private final Executor executor;
  private final DnsCounters counters;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Map<InetSocketAddress, DnsClient> clients = new ConcurrentHashMap<>();

  /**
   * @param resolver the configured resolver: the zone cut, NS names and their addresses come from it
   * @param port the port authoritative servers listen on (53; another only in a test lab)
   */
  public AuthoritativeServers(DnsClient resolver, int port, Duration timeout, Executor executor, DnsCounters counters) {
    this.resolver = resolver;
    this.port = port;
    this.timeout = timeout;
    this.executor = executor;
    this.counters = counters;
  }

  /** Questions to authoritative servers on the wire right now. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * The zone holding {@code name}, from the resolver's answer to its SOA: the name itself at a zone
   * apex, else the SOA owner of the negative answer. Empty when the resolver could not tell.
   */
  public CompletableFuture<Optional<String>> zoneOf(Name name) {
    return resolver.lookup(name, Type.SOA).thenApply(o -> {
      if (o instanceof DnsOutcome.Answer) {
        return Optional.of(DnsClient.lower(name));
      }
      String zone = o instanceof DnsOutcome.NxDomain n ? n.zone() : o instanceof DnsOutcome.NoData d ? d.zone() : "";
      return zone.isEmpty() ? Optional.empty() : Optional.of(zone);
    });
  }

  /** Looks up the zone's NS names through the resolver, then {@link #find(String, List)}. */
  public CompletableFuture<ZoneServers> find(String zone) {
    return resolver.lookup(name(zone), Type.NS).thenCompose(o -> {
      if (!(o instanceof DnsOutcome.Answer a)) {
        return CompletableFuture.completedFuture(none(zone, new ArrayList<>(List.of("NS of " + zone + ": "
            + DnsOutcome.word(o) + " from " + o.resolver()))));
      }
      List<String> names = a.records().stream().filter(r -> r instanceof NSRecord)
          .map(r -> DnsClient.lower(((NSRecord) r).getTarget())).distinct().sorted().toList();
      return find(zone, names);
    });
  }

  /**
   * Finds a server of the zone among {@code nameServers} (its NS names, as the resolver gave them):
   * the first of the first few that answers the zone's SOA with the AA bit.
   */
  public CompletableFuture<ZoneServers> find(String zone, List<String> nameServers) {
    List<String> problems = new ArrayList<>();
    if (nameServers.isEmpty()) {
      problems.add(zone + " has no NS records");
      return CompletableFuture.completedFuture(none(zone, problems));
    }
    if (nameServers.size() > MAX_NAME_SERVERS) {
      problems.add(zone + " has " + nameServers.size() + " NS names; asking only " + MAX_NAME_SERVERS);
    }
    List<String> chosen = nameServers.stream().sorted().limit(MAX_NAME_SERVERS).toList();
    List<CompletableFuture<List<InetAddress>>> addresses = chosen.stream().map(this::addressesOf).toList();
    return CompletableFuture.allOf(addresses.toArray(CompletableFuture[]::new)).thenCompose(done -> {
      List<Candidate> candidates = new ArrayList<>();
      // Each server's first address before any second one: one dead server must not use up the tries.
      for (int rank = 0; rank < MAX_ADDRESSES_PER_SERVER; rank++) {
        for (int i = 0; i < chosen.size(); i++) {
          List<InetAddress> of = addresses.get(i).join();
          if (rank == 0 && of.isEmpty()) {
            problems.add(chosen.get(i) + ": no address through the resolver");
          }
          InetSocketAddress at = rank < of.size() ? new InetSocketAddress(of.get(rank), port) : null;
          if (at != null && candidates.stream().noneMatch(c -> c.address().equals(at))) {
            candidates.add(new Candidate(chosen.get(i), at));
          }
        }
      }
      return probe(zone, candidates.stream().limit(MAX_SERVERS_TRIED).toList(), 0, problems);
    });
  }

  private record Candidate(String name, InetSocketAddress address) {}

  /** IPv4 first (more hosts reach it), at most a few; empty when the resolver has none. */
  private CompletableFuture<List<InetAddress>> addressesOf(String nsName) {
    Name n = name(nsName);
    CompletableFuture<DnsOutcome> v4 = resolver.lookup(n, Type.A);
    CompletableFuture<DnsOutcome> v6 = resolver.lookup(n, Type.AAAA);
    return v4.thenCombine(v6, (a, aaaa) -> {
      List<InetAddress> out = new ArrayList<>();
      for (DnsOutcome o : List.of(a, aaaa)) {
        if (o instanceof DnsOutcome.Answer answer) {
          for (Record r : answer.records()) {
            if (r instanceof ARecord ar) {
              out.add(ar.getAddress());
            } else if (r instanceof AAAARecord v6r) {
              out.add(v6r.getAddress());
            }
          }
        }
      }
      out.sort((x, y) -> Boolean.compare(!(x instanceof Inet4Address), !(y instanceof Inet4Address)));
      return out.stream().distinct().limit(MAX_ADDRESSES_PER_SERVER).toList();
    });
  }

  /** Asks the candidates for the zone's SOA one after the other until one answers it authoritatively. */
  private CompletableFuture<ZoneServers> probe(String zone, List<Candidate> candidates, int next, List<String> problems) {
    if (next >= candidates.size()) {
      problems.add("no server of " + zone + " answered authoritatively");
      return CompletableFuture.completedFuture(none(zone, problems));
    }
    Candidate c = candidates.get(next);
    DnsClient client = client(c);
    return client.lookup(name(zone), Type.SOA).thenCompose(o -> {
      if (o instanceof DnsOutcome.Answer a && o.authoritative()) {
        Optional<SOARecord> soa = a.records().stream().filter(r -> r instanceof SOARecord).map(r -> (SOARecord) r).findFirst();
        if (soa.isPresent()) {
          long negative = Math.min(soa.get().getTTL(), soa.get().getMinimum());
          return CompletableFuture.completedFuture(new ZoneServers(zone, Optional.of(client), negative, problems));
        }
      }
      problems.add(client.label() + ": " + why(o));
      return probe(zone, candidates, next + 1, problems);
    });
  }

  private DnsClient client(Candidate c) {
    if (clients.size() > MAX_CLIENTS) {
      clients.clear();
    }
    return clients.computeIfAbsent(c.address(), a -> DnsClient.authoritativeServer(a, c.name(), timeout, executor,
        counters, inFlight));
  }

  private static String why(DnsOutcome o) {
    if (o instanceof DnsOutcome.Failure f) {
      return f.reason();
    }
    if (o instanceof DnsOutcome.Timeout) {
      return "no answer (timeout)";
    }
    if (o instanceof DnsOutcome.ServFail) {
      return "SERVFAIL";
    }
    return "no SOA record at the zone's apex (" + DnsOutcome.word(o) + ")";
  }

  private static ZoneServers none(String zone, List<String> problems) {
    return new ZoneServers(zone, Optional.empty(), 0, problems);
  }

  private static Name name(String text) {
    try {
      return Name.fromString(text.endsWith(".") ? text : text + ".");
    } catch (org.xbill.DNS.TextParseException e) {
      throw new IllegalArgumentException("not a DNS name: " + text.toLowerCase(Locale.ROOT), e);
    }
  }
}
