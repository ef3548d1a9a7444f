package org.ptrguard.identity;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.ptrguard.dns.DnsClient;
import org.ptrguard.dns.DnsCounters;
import org.ptrguard.dns.DnsOptions;
import org.ptrguard.dns.DnsOutcome;
import org.ptrguard.dns.EgressProbe;
import org.ptrguard.net.Addresses;
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
  /** More PTR names than this are not chased further (one is normal, two already a warning). */
  private static final int MAX_PTR_NAMES = 5;

  private final DnsOptions options;
  private final IdentityJudges judges;
  private final ExecutorService executor;
  /** The "what is my address" probe, when egress discovery is on. */
  private final Optional<EgressProbe> egress;
  private final DnsClient main;
  private final List<DnsClient> views = new ArrayList<>();
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
  }

  /** DNS questions of all views still on the wire (0 when no check is running). */
  public int inFlightLookups() {
    return main.inFlight() + views.stream().mapToInt(DnsClient::inFlight).sum();
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
      work = new Lookups(subject).start().thenApply(seen -> judges.judge(subject, seen, started));
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
    return new IdentityReport(identity, List.of(), Verdict.UNKNOWN, List.of(f), Optional.empty(), Duration.ZERO, started);
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

    Lookups(CheckSubject subject) {
      this.s = subject;
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
      return CompletableFuture.allOf(forward, authority, ehloAddresses, all(viewSummaries), seenAs)
          .thenApply(done -> new Observations(ptr.join(), forward.join(), authority.join(), ehloProblem,
              ehloAddresses.join(), viewSummaries.stream().map(CompletableFuture::join).toList(), seenAs.join()));
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
