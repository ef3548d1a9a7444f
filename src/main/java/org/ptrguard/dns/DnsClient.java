package org.ptrguard.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.ptrguard.net.Addresses;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Asks one resolver view (one or more servers tried in turn) single questions and classifies the
 * answer. No cache here: the identity layer caches whole verdicts by TTL, and a check must see the
 * zone as it is now.
 */
public final class DnsClient {
  /** CNAME chains longer than this are treated as broken (a loop is reported as one when seen). */
  static final int MAX_CNAME_HOPS = 8;
  private static final PatientUdpClient UDP = new PatientUdpClient();

  private final Resolver resolver;
  private final String label;
  private final Duration timeout;
  private final Executor executor;
  private final DnsCounters counters;
  /** Questions sent and not yet answered or timed out: back to 0 when DNS is quiet, whatever failed. */
  private final AtomicInteger inFlight;
  /**
   * One of a zone's own name servers, asked without recursion (RD=0): only an answer with the AA
   * bit counts; anything else (a referral, REFUSED, an answer from its cache) is a lame server.
   */
  private final boolean direct;

  public DnsClient(List<InetSocketAddress> servers, Duration timeout, Executor executor, DnsCounters counters) {
    this(servers, timeout, executor, counters, Optional.empty());
  }

  /** @param localAddress the source address of every question (egress discovery), else the kernel's choice */
  public DnsClient(List<InetSocketAddress> servers, Duration timeout, Executor executor, DnsCounters counters,
      Optional<InetAddress> localAddress) {
    this(servers, timeout, executor, counters, localAddress, false, new AtomicInteger(), "");
  }

  private DnsClient(List<InetSocketAddress> servers, Duration timeout, Executor executor, DnsCounters counters,
      Optional<InetAddress> localAddress, boolean direct, AtomicInteger inFlight, String serverName) {
    List<InetSocketAddress> use = servers.isEmpty() ? ResolverConfig.getCurrentConfig().servers() : servers;
    if (use.isEmpty()) {
      throw new IllegalArgumentException("no DNS resolver configured and none found in /etc/resolv.conf");
    }
    this.timeout = timeout;
    this.executor = executor;
    this.counters = counters;
    this.direct = direct;
    this.inFlight = inFlight;
    String addresses = use.stream().map(DnsClient::hostPort).collect(Collectors.joining(","));
    this.label = serverName.isEmpty() ? addresses : serverName + " (" + addresses + ")";
    this.resolver = resolverFor(use, timeout, localAddress);
  }

  /**
   * A client for one authoritative server of a zone, asked directly without recursion.
   *
   * @param serverName the server's NS name, for evidence ("ns1.isp.example.net. (192.0.2.53:53)")
   * @param inFlight shared by the caller's direct clients, so their questions on the wire are counted together
   */
  static DnsClient authoritativeServer(InetSocketAddress server, String serverName, Duration timeout, Executor executor,
      DnsCounters counters, AtomicInteger inFlight) {
    return new DnsClient(List.of(server), timeout, executor, counters, Optional.empty(), true, inFlight, serverName);
  }

  private static Resolver resolverFor(List<InetSocketAddress> servers, Duration timeout, Optional<InetAddress> local) {
    List<Resolver> simple = new ArrayList<>();
    for (InetSocketAddress s : servers) {
      SimpleResolver r = new SimpleResolver(s);
      local.ifPresent(r::setLocalAddress);
      r.setTimeout(timeout);
      r.setIoClientFactory(UDP);
      simple.add(r);
    }
    if (simple.size() == 1) {
      return simple.get(0);
    }
    ExtendedResolver ext = new ExtendedResolver(simple);
    ext.setTimeout(timeout.multipliedBy(servers.size()));
    ext.setRetries(1);
    return ext;
  }

  static String hostPort(InetSocketAddress a) {
    return Addresses.hostPort(a.getAddress(), a.getPort());
  }

  public String label() {
    return label;
  }

  /** Questions on the wire right now (for leak checks and diagnostics). */
  public int inFlight() {
    return inFlight.get();
  }

  /** Asks for {@code type} records of {@code name}, following CNAMEs; never completes exceptionally. */
  public CompletableFuture<DnsOutcome> lookup(Name name, int type) {
    return follow(name, type, new ArrayList<>(), 0).thenApply(outcome -> {
      counters.record(outcome);
      return outcome;
    });
  }

  private CompletableFuture<DnsOutcome> follow(Name name, int type, List<String> aliases, int hops) {
    if (hops > MAX_CNAME_HOPS) {
      return done(tooLong(name));
    }
    Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
    if (direct) {
      query.getHeader().unsetFlag(Flags.RD);
    }
    CompletableFuture<Message> sent;
    inFlight.incrementAndGet();
    try {
      sent = resolver.sendAsync(query, executor).toCompletableFuture();
    } catch (RuntimeException e) {
      inFlight.decrementAndGet();
      return CompletableFuture.completedFuture(new DnsOutcome.Failure(String.valueOf(e.getMessage()), label));
    }
    // dnsjava checks its own timeouts only about once a second; this keeps the promise of `timeout`.
    long limit = timeout.toMillis() * (resolver instanceof ExtendedResolver ? 2 : 1) + 250;
    return sent.orTimeout(limit, TimeUnit.MILLISECONDS)
        .whenComplete((response, error) -> inFlight.decrementAndGet())
        .handle((response, error) -> error != null ? CompletableFuture.completedFuture(failure(error))
            : classify(name, type, response, aliases, hops))
        .thenCompose(f -> f);
  }

  private CompletableFuture<DnsOutcome> classify(Name name, int type, Message response, List<String> aliases, int hops) {
    if (!response.getHeader().getFlag(Flags.QR)) {
      // dnsjava matches replies by ID and question only; our own query reflected back (a resolver
      // address that loops to the sending socket, or a spoofer) would otherwise read as NODATA.
      return done(new DnsOutcome.Failure("reply is not a DNS response (QR bit clear)", label));
    }
    if (response.getHeader().getFlag(Flags.TC)) {
      // dnsjava already asked again over TCP: a reply still truncated is no evidence about the zone
      // (an empty truncated reply would otherwise read as NODATA, "no such record").
      return done(new DnsOutcome.Failure("reply truncated (TC bit) over UDP and TCP", label));
    }
    int rcode = response.getRcode();
    boolean aa = response.getHeader().getFlag(Flags.AA);
    if (direct && !aa) {
      return done(new DnsOutcome.Failure(lame(response), label));
    }
    if (rcode == Rcode.NXDOMAIN) {
      return done(new DnsOutcome.NxDomain(negativeTtl(response), soaZone(response), label, aa));
    }
    if (rcode == Rcode.SERVFAIL) {
      return done(new DnsOutcome.ServFail(label));
    }
    if (rcode != Rcode.NOERROR) {
      return done(new DnsOutcome.Failure("server answered " + Rcode.string(rcode), label));
    }
    Name current = name;
    java.util.Set<Name> visited = new java.util.HashSet<>();
    visited.add(name);
    List<Record> records = new ArrayList<>();
    long minTtl = Long.MAX_VALUE;
    // Walk the answer section's CNAME chain as far as the server followed it.
    for (int step = 0; step <= MAX_CNAME_HOPS; step++) {
      Name owner = current;
      List<Record> direct = response.getSection(Section.ANSWER).stream()
          .filter(r -> r.getName().equals(owner) && r.getType() == type).toList();
      if (!direct.isEmpty()) {
        records.addAll(direct);
        for (Record r : direct) {
          minTtl = Math.min(minTtl, r.getTTL());
        }
        return done(new DnsOutcome.Answer(records, aliases, minTtl, label, aa));
      }
      CNAMERecord cname = (CNAMERecord) response.getSection(Section.ANSWER).stream()
          .filter(r -> r.getName().equals(owner) && r.getType() == Type.CNAME).findFirst().orElse(null);
      if (cname == null || type == Type.CNAME) {
        break;
      }
      if (!visited.add(cname.getTarget()) || isAlias(aliases, cname.getTarget())) {
        return done(new DnsOutcome.Failure("CNAME loop at " + cname.getTarget(), label));
      }
      if (hops + step >= MAX_CNAME_HOPS) {
        return done(tooLong(cname.getTarget()));
      }
      aliases.add(lower(current) + " CNAME " + lower(cname.getTarget()) + " (ttl " + cname.getTTL() + ")");
      current = cname.getTarget();
    }
    if (!current.equals(name)) {
      // The server gave the alias but not its target: ask for the target ourselves. `aliases` holds
      // every alias of the whole chain so far, so it is the hop count (adding `hops` counted twice).
      return follow(current, type, aliases, aliases.size());
    }
    return done(new DnsOutcome.NoData(negativeTtl(response), soaZone(response), label, aa));
  }

  /** Why a direct answer without the AA bit is no answer of the zone's own (a lame delegation). */
  private static String lame(Message response) {
    int rcode = response.getRcode();
    if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
      return "lame: answered " + Rcode.string(rcode) + " (not serving the zone)";
    }
    List<String> referral = response.getSection(Section.AUTHORITY).stream().filter(r -> r.getType() == Type.NS)
        .map(r -> lower(r.getName()) + " NS " + r.rdataToString().toLowerCase(Locale.ROOT)).limit(2).toList();
    if (response.getSection(Section.ANSWER).isEmpty() && !referral.isEmpty()) {
      return "lame: a referral (" + String.join(", ", referral) + ") instead of an authoritative answer";
    }
    return "lame: answered without the AA bit (not authoritative for the zone)";
  }

  private DnsOutcome tooLong(Name at) {
    return new DnsOutcome.Failure("CNAME chain longer than " + MAX_CNAME_HOPS + " hops at " + lower(at), label);
  }

  /** True when an earlier hop of this chain (maybe in another zone) already was {@code name}. */
  private static boolean isAlias(List<String> aliases, Name name) {
    String prefix = lower(name) + " CNAME ";
    return aliases.stream().anyMatch(a -> a.startsWith(prefix));
  }

  private DnsOutcome failure(Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof TimeoutException || cause instanceof SocketTimeoutException
        || cause instanceof IOException && String.valueOf(cause.getMessage()).toLowerCase(Locale.ROOT).contains("timed out")) {
      return new DnsOutcome.Timeout(label);
    }
    if (cause instanceof java.net.PortUnreachableException) {
      return new DnsOutcome.Failure("port unreachable (nothing listens there)", label);
    }
    return new DnsOutcome.Failure(cause.getClass().getSimpleName() + ": " + cause.getMessage(), label);
  }

  private static long negativeTtl(Message response) {
    return response.getSection(Section.AUTHORITY).stream().filter(r -> r instanceof SOARecord)
        .mapToLong(r -> Math.min(r.getTTL(), ((SOARecord) r).getMinimum())).findFirst().orElse(0);
  }

  private static String soaZone(Message response) {
    return response.getSection(Section.AUTHORITY).stream().filter(r -> r instanceof SOARecord)
        .map(r -> lower(r.getName())).findFirst().orElse("");
  }

  static String lower(Name name) {
    return name.toString().toLowerCase(Locale.ROOT);
  }

  private static CompletableFuture<DnsOutcome> done(DnsOutcome outcome) {
    return CompletableFuture.completedFuture(outcome);
  }
}
