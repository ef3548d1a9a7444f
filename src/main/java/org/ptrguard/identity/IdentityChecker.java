package org.ptrguard.identity;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.ptrguard.dns.AuthoritativeServers;
import org.ptrguard.dns.DnsClient;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.dns.DnsOutcome;
import org.ptrguard.dns.EgressProbe;
import org.ptrguard.net.Addresses;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Checks one identity the way strict receivers do: PTR present and single, not a provider
 * default, forward-confirmed (RFC 8601 iprev: some PTR name resolves back to the address), and an
 * EHLO name that is a public FQDN resolving to the address and matching the PTR. Every lookup runs
 * asynchronously on our own threads; a check finishes within the budget whatever DNS does.
 *
 * <p>This class does the lookups and keeps the budget; what they saw ({@link Observations}) is judged
 * by {@link IdentityJudges} without DNS, and {@link DnsEvidence} writes the records as evidence.
 */
public final class IdentityChecker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IdentityChecker.class);
  /** More PTR names than this are not chased further (one is normal, two already a warning). */
  private static final int MAX_PTR_NAMES = 5;
  /** PTR names whose forward zone's own servers are asked (each may be another zone: bounded queries). */
  private static final int MAX_AUTHORITATIVE_FORWARD = 2;
  /** Problem lines last logged per address: a lame zone is logged when it becomes so, not at every check. */
  private static final int MAX_LOGGED = 1024;

  private final DnsOptions options;
  private final IdentityJudges judges;
  private final ExecutorService executor;
  /** The "what is my address" probe, when egress discovery is on. */
  private final Optional<EgressProbe> egress;
  private final DnsClient main;
  private final List<DnsClient> views = new ArrayList<>();
  /** The zones' own servers, when dns.authoritative asks them. */
  private final Optional<AuthoritativeServers> authoritative;
  private final Map<String, String> loggedProblems = new ConcurrentHashMap<>();
  private final Clock clock;

  public IdentityChecker(DnsOptions options, GenericNameClassifier generic) {
    this(options, generic, new DnsCounters());
  }

  /** @param counters where lookups are counted; shared by the checkers a reload replaces, so totals never restart */
  public IdentityChecker(DnsOptions options, GenericNameClassifier generic, DnsCounters counters) {
    this(options, generic, counters, Clock.systemUTC());
  }

  IdentityChecker(DnsOptions options, GenericNameClassifier generic, Clock clock) {
    this(options, generic, new DnsCounters(), clock);
  }

  private IdentityChecker(DnsOptions options, GenericNameClassifier generic, DnsCounters counters, Clock clock) {
    this.options = options;
    this.judges = new IdentityJudges(generic);
    this.clock = clock;
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "ptrguard-dns-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.main = new DnsClient(options.resolvers(), options.timeout(), executor, counters);
    for (InetSocketAddress view : options.compareWith()) {
      views.add(new DnsClient(List.of(view), options.timeout(), executor, counters));
    }
    this.egress = options.egress().map(q -> new EgressProbe(q, main, options.timeout(), executor, counters));
    this.authoritative = options.authoritativePort().isPresent()
        ? Optional.of(new AuthoritativeServers(main, options.authoritativePort().getAsInt(), options.timeout(), executor, counters))
        : Optional.empty();
  }

  /** DNS questions of all views still on the wire (0 when no check is running). */
  public int inFlightLookups() {
    return main.inFlight() + views.stream().mapToInt(DnsClient::inFlight).sum()
        + authoritative.map(AuthoritativeServers::inFlight).orElse(0);
  }

  /** The main resolver view's label, as evidence lines name it. */
  public String resolverLabel() {
    return main.label();
  }

  /** Never completes exceptionally; finishes within the check budget. */
  public CompletionStage<IdentityReport> check(Identity identity) {
    Instant started = clock.instant();
    CompletableFuture<IdentityReport> work;
    try {
      CheckSubject subject = CheckSubject.of(identity, main.label());
      // The authoritative view has a deadline of its own inside the budget: slow or lame zone servers
      // cost that part of the check, never the whole verdict.
      long authoritativeDeadline = options.checkBudget().toMillis() * 3 / 4;
      work = new Lookups(subject, authoritativeDeadline).start().thenApply(seen -> judges.judge(subject, seen, started));
    } catch (RuntimeException e) {
      work = CompletableFuture.failedFuture(e);
    }
    long budget = options.checkBudget().toMillis();
    return work
        .exceptionally(e -> temporaryOnly(identity, started, "the check failed: " + rootMessage(e)))
        .completeOnTimeout(null, budget, TimeUnit.MILLISECONDS)
        .thenApply(r -> r != null ? r : temporaryOnly(identity, started,
            "DNS did not answer within the check budget of " + budget + " ms"));
  }

  private IdentityReport temporaryOnly(Identity identity, Instant started, String why) {
    Finding f = new Finding("dns.temporary", Verdict.UNKNOWN, "could not check " + Addresses.text(identity.ip()) + ": " + why,
        List.of("resolver " + main.label()), Fixes.temporary(main.label(), identity.ip()));
    return new IdentityReport(identity, List.of(), Verdict.UNKNOWN, List.of(f), Optional.empty(), Duration.ZERO, started,
        java.util.EnumSet.allOf(Lookup.class));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  /** One check's lookups: what the judges will read, gathered concurrently. */
  private final class Lookups {
    private final CheckSubject s;
    private final long authoritativeDeadlineMs;

    Lookups(CheckSubject subject, long authoritativeDeadlineMs) {
      this.s = subject;
      this.authoritativeDeadlineMs = authoritativeDeadlineMs;
    }

    CompletableFuture<Observations> start() {
      CompletableFuture<DnsOutcome> ptr = main.lookup(s.reverse(), Type.PTR);
      CompletableFuture<List<NameAnswer>> forward = ptr.thenCompose(o -> forwardOf(main, o));
      CompletableFuture<Optional<ReverseZoneAuthority>> authority = ptr.thenCompose(this::authority);
      Optional<String> ehloProblem = HostNames.fqdnProblem(s.identity().ehlo());
      CompletableFuture<List<DnsOutcome>> ehloAddresses = ehloProblem.isPresent()
          ? CompletableFuture.completedFuture(List.of())
          : all(List.of(main.lookup(name(s.ehlo()), Type.A), main.lookup(name(s.ehlo()), Type.AAAA)));
      List<CompletableFuture<ViewSummary>> viewSummaries = views.stream().map(this::summarize).toList();
      CompletableFuture<Optional<EgressProbe.Result>> seenAs = egress.isEmpty()
          ? CompletableFuture.completedFuture(Optional.empty())
          : egress.get().probe(s.ip()).thenApply(Optional::of);
      CompletableFuture<Optional<AuthoritativeView>> zonesSay = authoritative.isEmpty()
          ? CompletableFuture.completedFuture(Optional.empty())
          : authoritativeView(authoritative.get(), ptr, forward, authority)
              .completeOnTimeout(AuthoritativeView.unavailable("the zones' servers did not answer within "
                  + authoritativeDeadlineMs + " ms (3/4 of the check budget)"), authoritativeDeadlineMs, TimeUnit.MILLISECONDS)
              .thenApply(v -> {
                logProblems(s, v);
                return Optional.of(v);
              });
      return CompletableFuture.allOf(forward, authority, ehloAddresses, all(viewSummaries), seenAs, zonesSay)
          .thenApply(done -> new Observations(ptr.join(), forward.join(), authority.join(), ehloProblem,
              ehloAddresses.join(), viewSummaries.stream().map(CompletableFuture::join).toList(), seenAs.join(),
              zonesSay.join()));
    }

    /**
     * Asks the reverse zone's and the PTR names' zones' own servers what the resolver answered from
     * its cache (answers with the AA bit are not asked again). Never completes exceptionally.
     */
    private CompletableFuture<AuthoritativeView> authoritativeView(AuthoritativeServers servers,
        CompletableFuture<DnsOutcome> ptr, CompletableFuture<List<NameAnswer>> forward,
        CompletableFuture<Optional<ReverseZoneAuthority>> authority) {
      List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
      CompletableFuture<Optional<AuthoritativeView.ZoneAnswer>> zonePtr = ptr.thenCompose(p -> {
        boolean cached = !p.authoritative() && !p.isTemporary();
        // An RFC 2317 alias leads into a delegated child zone, which the parent's servers do not serve.
        boolean alias = p instanceof DnsOutcome.Answer a && !a.aliases().isEmpty();
        if (!cached || alias) {
          return CompletableFuture.completedFuture(Optional.empty());
        }
        return authority.thenCompose(zone -> {
          if (zone.isEmpty()) {
            problems.add("the reverse zone of " + Addresses.text(s.ip()) + " was not found through the resolver");
            return CompletableFuture.completedFuture(Optional.empty());
          }
          // The check's own NS lookup is reused; when it failed, find() asks again and says why.
          ReverseZoneAuthority z = zone.get();
          return (z.nameServers().isEmpty() ? servers.find(z.zone()) : servers.find(z.zone(), z.nameServers()))
              .thenCompose(zs -> ask(zs, DnsEvidence.lower(s.reverse()), Type.PTR, problems));
        });
      });
      Map<String, CompletableFuture<AuthoritativeServers.ZoneServers>> zones = new ConcurrentHashMap<>();
      return zonePtr.thenCombine(ptr, (zp, p) -> zp.map(AuthoritativeView.ZoneAnswer::outcome)
          .filter(o -> !o.isTemporary()).orElse(p))
          .thenCompose(namesFrom -> forward.thenCompose(resolverSaw -> {
            List<String> names = DnsEvidence.ptrNames(namesFrom).stream().limit(MAX_PTR_NAMES).toList();
            List<CompletableFuture<NameAnswer>> resolverForward = new ArrayList<>();
            for (String n : names) {
              Optional<NameAnswer> known = resolverSaw.stream().filter(f -> f.name().equals(n)).findFirst();
              resolverForward.add(known.isPresent() ? CompletableFuture.completedFuture(known.get())
                  : main.lookup(name(n), s.addressType()).thenApply(o -> new NameAnswer(n, o)));
            }
            return all(resolverForward).thenCompose(rf -> {
              List<CompletableFuture<Optional<AuthoritativeView.ZoneAnswer>>> asked = new ArrayList<>();
              for (NameAnswer r : rf.stream().limit(MAX_AUTHORITATIVE_FORWARD).toList()) {
                if (r.outcome().authoritative() || r.outcome().isTemporary()) {
                  continue;
                }
                Name n = name(r.name());
                asked.add(servers.zoneOf(n).thenCompose(zone -> {
                  if (zone.isEmpty()) {
                    problems.add("the zone of " + r.name() + " was not found through the resolver");
                    return CompletableFuture.completedFuture(Optional.empty());
                  }
                  return zones.computeIfAbsent(zone.get(), servers::find)
                      .thenCompose(zs -> ask(zs, r.name(), s.addressType(), problems));
                }));
              }
              return all(asked).thenApply(af -> new AuthoritativeView(zonePtr.join(),
                  af.stream().flatMap(Optional::stream).toList(), rf, problems.stream().distinct().toList()));
            });
          }))
          .exceptionally(e -> AuthoritativeView.unavailable("the authoritative view failed: " + rootMessage(e)));
    }

    /** @param n the name as the view keys it (PTR names without the trailing dot, as NameAnswer has them) */
    private CompletableFuture<Optional<AuthoritativeView.ZoneAnswer>> ask(AuthoritativeServers.ZoneServers zs, String n,
        int type, List<String> problems) {
      problems.addAll(zs.problems());
      if (zs.server().isEmpty()) {
        return CompletableFuture.completedFuture(Optional.empty());
      }
      return zs.ask(name(n), type).thenApply(o -> {
        if (o.isTemporary()) {
          problems.add(n + " " + Type.string(type) + ": " + DnsEvidence.describe(o));
        }
        return Optional.of(new AuthoritativeView.ZoneAnswer(n, o, zs.zone(), zs.negativeCaching()));
      });
    }

    private CompletableFuture<List<NameAnswer>> forwardOf(DnsClient client, DnsOutcome ptr) {
      List<String> names = DnsEvidence.ptrNames(ptr).stream().limit(MAX_PTR_NAMES).toList();
      List<CompletableFuture<NameAnswer>> lookups = new ArrayList<>();
      for (String n : names) {
        lookups.add(client.lookup(name(n), s.addressType()).thenApply(o -> new NameAnswer(n, o)));
      }
      return all(lookups);
    }

    /** The zone holding the PTR owner, from a negative answer's SOA or by asking for the owner's SOA. */
    private CompletableFuture<Optional<ReverseZoneAuthority>> authority(DnsOutcome ptr) {
      String zone = DnsEvidence.zoneOf(ptr);
      CompletableFuture<String> zoneName = !zone.isEmpty() ? CompletableFuture.completedFuture(zone)
          : main.lookup(s.reverse(), Type.SOA)
              .thenApply(o -> o instanceof DnsOutcome.Answer ? DnsEvidence.lower(s.reverse()) : DnsEvidence.zoneOf(o));
      return zoneName.thenCompose(z -> {
        if (z.isEmpty()) {
          return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<DnsOutcome> soa = main.lookup(name(z), Type.SOA);
        CompletableFuture<DnsOutcome> ns = main.lookup(name(z), Type.NS);
        return soa.thenCombine(ns, (so, n) -> {
          String primary = "";
          String contact = "";
          if (so instanceof DnsOutcome.Answer a && a.records().get(0) instanceof SOARecord r) {
            primary = DnsEvidence.lower(r.getHost());
            contact = DnsEvidence.mailbox(r.getAdmin());
          }
          List<String> servers = n instanceof DnsOutcome.Answer a
              ? a.records().stream().filter(r -> r instanceof NSRecord).map(r -> DnsEvidence.lower(((NSRecord) r).getTarget())).sorted().toList()
              : List.of();
          return Optional.of(new ReverseZoneAuthority(z, primary, contact, servers));
        });
      });
    }

    /** Another view's PTR and forward confirmation, reduced to what a verdict depends on. */
    private CompletableFuture<ViewSummary> summarize(DnsClient view) {
      CompletableFuture<DnsOutcome> ptr = view.lookup(s.reverse(), Type.PTR);
      return ptr.thenCompose(o -> forwardOf(view, o).thenApply(fwd -> ViewSummary.of(view.label(), o, fwd, s.ip())));
    }
  }

  /** Logs an address's authoritative-view problems when they change (lame, unreachable, looping zones). */
  private void logProblems(CheckSubject s, AuthoritativeView v) {
    String ip = Addresses.text(s.ip());
    String now = String.join("; ", v.problems());
    String before = now.isEmpty() ? loggedProblems.remove(ip) : loggedProblems.put(ip, now);
    if (!now.isEmpty() && !now.equals(before)) {
      // One line each: a log value is cut at 200 characters, and each problem names its server.
      for (String problem : v.problems()) {
        LOG.info("event=authoritative-view ip={} outcome=incomplete problem={}", LogValues.of(ip), LogValues.of(problem));
      }
    } else if (now.isEmpty() && before != null) {
      LOG.info("event=authoritative-view ip={} outcome=complete", LogValues.of(ip));
    }
    if (loggedProblems.size() > MAX_LOGGED) {
      loggedProblems.clear();
    }
  }

  private static Name name(String text) {
    try {
      return Name.fromString(text.endsWith(".") ? text : text + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a DNS name: " + text, e);
    }
  }

  private static <T> CompletableFuture<List<T>> all(List<CompletableFuture<T>> futures) {
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
  }
}
