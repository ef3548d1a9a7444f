package org.ptrguard.identity;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Checks one identity the way strict receivers do: PTR present and single, not a provider
 * default, forward-confirmed (RFC 8601 iprev: some PTR name resolves back to the address), and an
 * EHLO name that is a public FQDN resolving to the address and matching the PTR. Every lookup runs
 * asynchronously on our own threads; a check finishes within the budget whatever DNS does.
 */
public final class IdentityChecker implements AutoCloseable {
  /** More PTR names than this are not chased further (one is normal, two already a warning). */
  private static final int MAX_PTR_NAMES = 5;
  private static final Duration DEFAULT_TTL = Duration.ofMinutes(5);

  private final DnsOptions options;
  private final GenericNameClassifier generic;
  private final ExecutorService executor;
  private final DnsCounters counters;
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
    this.counters = counters;
    this.generic = generic;
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
      work = new Run(identity).start();
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

  /** One check's lookups and findings. */
  private final class Run {
    private final Identity identity;
    private final InetAddress ip;
    private final int addressType;
    private final Name reverse;
    private final String ehlo;
    /**
     * A PTR name fit to announce as EHLO: it resolves back to the address and is not generic. Set by
     * the PTR judgement; the EHLO fixes only recommend the PTR name when there is one.
     */
    private Optional<String> heloCandidate = Optional.empty();
    private final List<Finding> findings = new ArrayList<>();
    private long minTtl = Long.MAX_VALUE;

    Run(Identity identity) {
      this.identity = identity;
      this.ip = IpLiterals.unmapped(identity.ip());
      this.addressType = ip instanceof Inet6Address ? Type.AAAA : Type.A;
      this.reverse = ReverseMap.fromAddress(ip);
      this.ehlo = HostNames.normalize(identity.ehlo());
    }

    CompletableFuture<IdentityReport> start() {
      Instant started = clock.instant();
      CompletableFuture<DnsOutcome> ptr = main.lookup(reverse, Type.PTR);
      CompletableFuture<List<NameAnswer>> forward = ptr.thenCompose(o -> forwardOf(main, o));
      CompletableFuture<Optional<ReverseZoneAuthority>> authority = ptr.thenCompose(this::authority);
      Optional<String> ehloProblem = HostNames.fqdnProblem(identity.ehlo());
      CompletableFuture<List<DnsOutcome>> ehloAddresses = ehloProblem.isPresent()
          ? CompletableFuture.completedFuture(List.of())
          : all(List.of(main.lookup(name(ehlo), Type.A), main.lookup(name(ehlo), Type.AAAA)));
      List<CompletableFuture<ViewSummary>> viewSummaries = views.stream().map(this::summarize).toList();
      return CompletableFuture.allOf(forward, authority, ehloAddresses, all(viewSummaries))
          .thenApply(done -> {
            List<String> ptrNames = ptrNames(ptr.join());
            judgePtr(ptr.join(), forward.join(), authority.join());
            judgeEhlo(ehloProblem, ehloAddresses.join(), ptrNames);
            judgeViews(ptr.join(), forward.join(), viewSummaries.stream().map(CompletableFuture::join).toList());
            return report(ptrNames, authority.join(), started);
          });
    }

    // ---- PTR and forward confirmation

    private void judgePtr(DnsOutcome ptr, List<NameAnswer> forward, Optional<ReverseZoneAuthority> authority) {
      String who = "the operator of the reverse zone " + authority.map(ReverseZoneAuthority::describe)
          .orElse("of " + Addresses.text(ip));
      if (ptr.isTemporary()) {
        temporary("PTR of " + Addresses.text(ip), reverse + " PTR: " + describe(ptr), ptr);
        return;
      }
      if (!(ptr instanceof DnsOutcome.Answer answer)) {
        noteNegative(ptr);
        findings.add(new Finding("ptr.missing", Verdict.FAIL, "no PTR record for " + Addresses.text(ip),
            List.of(reverse + " PTR: " + describe(ptr)), Fixes.ptrMissing(reverse, ip, suggestedName(), who)));
        return;
      }
      note(answer);
      List<String> names = ptrNames(ptr);
      List<String> evidence = new ArrayList<>(records(answer));
      evidence.addAll(answer.aliases().stream().map(a -> "alias: " + a).toList());
      if (names.size() > 1) {
        findings.add(new Finding("ptr.multiple", Verdict.WARN, Addresses.text(ip) + " has " + names.size()
            + " PTR records; receivers may use any of them", evidence, Fixes.ptrMultiple(reverse, names, suggestedName(), who)));
      }
      List<String> confirming = new ArrayList<>();
      List<String> forwardEvidence = new ArrayList<>();
      boolean temporary = false;
      boolean anyAddress = false;
      for (NameAnswer fa : forward) {
        forwardEvidence.add(fa.name() + ". " + Type.string(addressType) + ": " + describe(fa.outcome()));
        if (fa.outcome() instanceof DnsOutcome.Answer a) {
          note(a);
          anyAddress = true;
          if (addresses(a).contains(ip)) {
            confirming.add(fa.name());
          }
        } else if (fa.outcome().isTemporary()) {
          temporary = true;
        } else {
          noteNegative(fa.outcome());
        }
      }
      if (confirming.isEmpty()) {
        if (temporary) {
          temporary("forward lookup of the PTR name", String.join("; ", forwardEvidence), null);
        } else if (!anyAddress) {
          findings.add(new Finding("fcrdns.no-address", Verdict.FAIL, "PTR name " + names.get(0) + " has no "
              + Type.string(addressType) + " record, so the PTR is not forward-confirmed",
              concat(evidence, forwardEvidence), Fixes.fcrdnsNoAddress(names.get(0), ip, reverse, who)));
        } else {
          findings.add(new Finding("fcrdns.mismatch", Verdict.FAIL, "PTR name " + names.get(0) + " does not resolve back to "
              + Addresses.text(ip), concat(evidence, forwardEvidence), Fixes.fcrdnsMismatch(names.get(0), ip, reverse, who)));
        }
      }
      String judged = confirming.isEmpty() ? names.get(0) : confirming.get(0);
      heloCandidate = confirming.stream().filter(n -> !generic.classify(n, ip).generic()).findFirst();
      GenericNameClassifier.GenericVerdict g = generic.classify(judged, ip);
      if (g.generic()) {
        findings.add(new Finding("ptr.generic", identity.genericIsFail() ? Verdict.FAIL : Verdict.WARN,
            "PTR name " + judged + " looks provider-assigned", List.of(g.reason()), Fixes.ptrGeneric(reverse, ip, suggestedName(), who)));
      }
    }

    private CompletableFuture<List<NameAnswer>> forwardOf(DnsClient client, DnsOutcome ptr) {
      List<String> names = ptrNames(ptr).stream().limit(MAX_PTR_NAMES).toList();
      List<CompletableFuture<NameAnswer>> lookups = new ArrayList<>();
      for (String n : names) {
        lookups.add(client.lookup(name(n), addressType).thenApply(o -> new NameAnswer(n, o)));
      }
      return all(lookups);
    }

    /** The zone holding the PTR owner, from a negative answer's SOA or by asking for the owner's SOA. */
    private CompletableFuture<Optional<ReverseZoneAuthority>> authority(DnsOutcome ptr) {
      String zone = zoneOf(ptr);
      CompletableFuture<String> zoneName = !zone.isEmpty() ? CompletableFuture.completedFuture(zone)
          : main.lookup(reverse, Type.SOA).thenApply(o -> o instanceof DnsOutcome.Answer ? reverse.toString().toLowerCase() : zoneOf(o));
      return zoneName.thenCompose(z -> {
        if (z.isEmpty()) {
          return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletableFuture<DnsOutcome> soa = main.lookup(name(z), Type.SOA);
        CompletableFuture<DnsOutcome> ns = main.lookup(name(z), Type.NS);
        return soa.thenCombine(ns, (s, n) -> {
          String primary = "";
          String contact = "";
          if (s instanceof DnsOutcome.Answer a && a.records().get(0) instanceof SOARecord r) {
            primary = lower(r.getHost());
            contact = mailbox(r.getAdmin());
          }
          List<String> servers = n instanceof DnsOutcome.Answer a
              ? a.records().stream().filter(r -> r instanceof NSRecord).map(r -> lower(((NSRecord) r).getTarget())).sorted().toList()
              : List.of();
          return Optional.of(new ReverseZoneAuthority(z, primary, contact, servers));
        });
      });
    }

    // ---- EHLO

    private void judgeEhlo(Optional<String> problem, List<DnsOutcome> outcomes, List<String> ptrNames) {
      if (problem.isPresent()) {
        findings.add(new Finding("ehlo.invalid", Verdict.FAIL, "EHLO name is not usable: " + problem.get(),
            List.of("smtp_helo_name (or its default, myhostname) = " + identity.ehlo()),
            Fixes.ehloInvalid(heloCandidate, ip)));
        return;
      }
      Set<InetAddress> found = new LinkedHashSet<>();
      List<String> evidence = new ArrayList<>();
      boolean temporary = false;
      String[] types = {"A", "AAAA"};
      for (int i = 0; i < outcomes.size(); i++) {
        DnsOutcome o = outcomes.get(i);
        evidence.add(ehlo + ". " + types[i] + ": " + describe(o));
        if (o instanceof DnsOutcome.Answer a) {
          note(a);
          found.addAll(addresses(a));
        } else if (o.isTemporary()) {
          temporary = true;
        } else {
          noteNegative(o);
        }
      }
      if (!found.contains(ip)) {
        if (temporary) {
          temporary("addresses of the EHLO name " + ehlo, String.join("; ", evidence), null);
        } else if (found.isEmpty()) {
          findings.add(new Finding("ehlo.no-address", Verdict.FAIL, "EHLO name " + ehlo + " has no A or AAAA record",
              evidence, Fixes.ehloNoAddress(ehlo, ip)));
        } else {
          findings.add(new Finding("ehlo.address-mismatch", Verdict.WARN, "EHLO name " + ehlo + " does not resolve to "
              + Addresses.text(ip), evidence, Fixes.ehloAddressMismatch(ehlo, ip, heloCandidate)));
        }
      }
      if (!ptrNames.isEmpty() && !ptrNames.contains(ehlo)) {
        findings.add(new Finding("ehlo.ptr-mismatch", Verdict.WARN, "EHLO name " + ehlo + " differs from the PTR name "
            + ptrNames.get(0), List.of("EHLO " + ehlo, "PTR " + String.join(", ", ptrNames)), Fixes.ehloPtrMismatch(ehlo, heloCandidate, reverse)));
      }
    }

    // ---- other resolver views

    private CompletableFuture<ViewSummary> summarize(DnsClient view) {
      CompletableFuture<DnsOutcome> ptr = view.lookup(reverse, Type.PTR);
      return ptr.thenCompose(o -> forwardOf(view, o).thenApply(fwd -> ViewSummary.of(view.label(), o, fwd, ip)));
    }

    private void judgeViews(DnsOutcome ptr, List<NameAnswer> forward, List<ViewSummary> others) {
      if (others.isEmpty() || ptr.isTemporary()) {
        return;
      }
      ViewSummary mine = ViewSummary.of(main.label(), ptr, forward, ip);
      List<String> evidence = new ArrayList<>();
      for (ViewSummary other : others) {
        if (other.temporary()) {
          continue; // a view that cannot answer has no opinion to disagree with
        }
        if (!other.sameAnswer(mine)) {
          evidence.add(mine.describe());
          evidence.add(other.describe());
        }
      }
      if (!evidence.isEmpty()) {
        findings.add(new Finding("resolvers.disagree", Verdict.WARN, "resolvers give different answers for "
            + Addresses.text(ip) + " (split-horizon DNS or a change still propagating)", evidence.stream().distinct().toList(),
            Fixes.resolversDisagree(mine.resolver())));
      }
    }

    // ---- the report

    private IdentityReport report(List<String> ptrNames, Optional<ReverseZoneAuthority> authority, Instant started) {
      findings.sort(Comparator.comparing(Finding::severity, Verdict.SEVERITY.reversed()));
      // A proven failure stays a failure (FAIL outranks UNKNOWN): no answer to the other question could make it pass.
      Verdict verdict = Verdict.worst(findings.stream().map(Finding::severity).toList());
      boolean temporary = findings.stream().anyMatch(f -> f.severity() == Verdict.UNKNOWN);
      Duration ttl = temporary || minTtl == Long.MAX_VALUE ? (temporary ? Duration.ZERO : DEFAULT_TTL) : Duration.ofSeconds(minTtl);
      return new IdentityReport(identity, ptrNames, verdict, findings, authority, ttl, started);
    }

    private void temporary(String what, String evidence, DnsOutcome outcome) {
      findings.add(new Finding("dns.temporary", Verdict.UNKNOWN, "could not look up the " + what + " (temporary DNS failure)",
          List.of(evidence), Fixes.temporary(outcome == null ? main.label() : outcome.resolver(), ip)));
    }

    private void note(DnsOutcome.Answer a) {
      minTtl = Math.min(minTtl, a.minTtl());
    }

    private void noteNegative(DnsOutcome o) {
      long ttl = o instanceof DnsOutcome.NxDomain n ? n.negativeTtl() : o instanceof DnsOutcome.NoData d ? d.negativeTtl() : 0;
      if (ttl > 0) {
        minTtl = Math.min(minTtl, ttl);
      }
    }

    /** What to name the host in a fix: the EHLO name when it is usable, else a placeholder. */
    private String suggestedName() {
      return HostNames.fqdnProblem(identity.ehlo()).isEmpty() ? ehlo : "mail.your-domain.example";
    }
  }

  private record NameAnswer(String name, DnsOutcome outcome) {}

  /** One view's answer reduced to what a receiver's verdict depends on. */
  private record ViewSummary(String resolver, boolean temporary, List<String> ptrNames, List<String> confirming) {
    static ViewSummary of(String resolver, DnsOutcome ptr, List<NameAnswer> forward, InetAddress ip) {
      boolean temporary = ptr.isTemporary() || forward.stream().anyMatch(f -> f.outcome().isTemporary());
      List<String> confirming = forward.stream()
          .filter(f -> f.outcome() instanceof DnsOutcome.Answer a && addresses(a).contains(ip)).map(NameAnswer::name).sorted().toList();
      return new ViewSummary(resolver, temporary, IdentityChecker.ptrNames(ptr).stream().sorted().toList(), confirming);
    }

    boolean sameAnswer(ViewSummary other) {
      return ptrNames.equals(other.ptrNames) && confirming.equals(other.confirming);
    }

    String describe() {
      return resolver + ": PTR " + (ptrNames.isEmpty() ? "none" : String.join(", ", ptrNames))
          + "; resolving back: " + (confirming.isEmpty() ? "none" : String.join(", ", confirming));
    }
  }

  // ---- helpers

  static List<String> ptrNames(DnsOutcome ptr) {
    if (!(ptr instanceof DnsOutcome.Answer a)) {
      return List.of();
    }
    // Sorted: servers rotate the order of an RRset, and only the first MAX_PTR_NAMES are chased,
    // so the server's order would make the verdict (and the names in messages) change between checks.
    return a.records().stream().filter(r -> r instanceof PTRRecord)
        .map(r -> HostNames.normalize(((PTRRecord) r).getTarget().toString())).distinct().sorted().toList();
  }

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

  private static List<String> records(DnsOutcome.Answer a) {
    return a.records().stream().map(r -> lower(r.getName()) + " " + Type.string(r.getType()) + " "
        + rdata(r) + " (ttl " + r.getTTL() + ", from " + a.resolver() + ")").toList();
  }

  /** Record data as an admin would type it: AAAA in RFC 5952 form, names in lower case. */
  static String rdata(Record r) {
    if (r instanceof AAAARecord aaaa) {
      return Addresses.text(aaaa.getAddress().getAddress());
    }
    return r.rdataToString().toLowerCase();
  }

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

  private static String zoneOf(DnsOutcome o) {
    if (o instanceof DnsOutcome.NxDomain n) {
      return n.zone();
    }
    return o instanceof DnsOutcome.NoData d ? d.zone() : "";
  }

  private static Name name(String text) {
    try {
      return Name.fromString(text.endsWith(".") ? text : text + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a DNS name: " + text, e);
    }
  }

  static String lower(Name n) {
    return n.toString().toLowerCase();
  }

  /** hostmaster.isp.example.net. -> hostmaster@isp.example.net */
  private static String mailbox(Name admin) {
    String s = HostNames.normalize(admin.toString());
    int dot = s.indexOf('.');
    return dot < 0 ? s : s.substring(0, dot) + "@" + s.substring(dot + 1);
  }

  private static <T> CompletableFuture<List<T>> all(List<CompletableFuture<T>> futures) {
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
