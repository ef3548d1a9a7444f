package org.ptrguard.monitor;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.ptrguard.dns.DnsClient;
import org.ptrguard.dns.MailExchangers;
import org.ptrguard.dns.MailExchangers.Destination;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;
import org.ptrguard.postfix.RelayHost;
import org.ptrguard.postfix.Route;
import org.ptrguard.postfix.Route.Family;
import org.ptrguard.postfix.RouteModel;

/**
 * For a relayed route: does the relay host's name resolve (A/AAAA of a bracketed host; MX, then
 * A/AAAA, of an unbracketed one, as Postfix's SMTP client does) and does a TCP connection to it
 * open within a short bounded time, from the service's {@code smtp_bind_address} when it has one.
 * Information for the admin, never a verdict on this host's identity: receivers see the relay's.
 * Blocking connects run on the probe's own threads; for the command line, not the SMTP path.
 */
public final class RelayProbe implements AutoCloseable {
  /** How long one TCP connection may take to open. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Addresses tried per relay host (all at once): the first few are the ones Postfix tries first. */
  static final int MAX_ADDRESSES = 4;
  /** MX hosts looked at for an unbracketed relay. */
  private static final int MAX_MX_HOSTS = 5;

  /**
   * One TCP connection attempt.
   *
   * @param source the address bound to, when the service sets one and this host has it
   * @param bindProblem why the service's bind address could not be used (Postfix then connects from
   *     the kernel's choice and logs a warning, or defers with smtp_bind_address_enforce = yes)
   * @param problem why the connection did not open; empty when it did
   */
  public record Attempt(InetAddress address, int port, Optional<InetAddress> source, Optional<String> bindProblem,
      long millis, Optional<String> problem) {
    public boolean opened() {
      return problem.isEmpty();
    }

    public String target() {
      return Addresses.hostPort(address, port);
    }
  }

  /**
   * What was found for one destination of the nexthop.
   *
   * @param resolved the DNS result; empty for an address literal or a nexthop that cannot be read
   * @param addresses the addresses Postfix would use, in the order it would try them
   * @param resolveProblem why the name gives no usable address, if so
   */
  public record HostReport(RelayHost host, Optional<Destination> resolved, List<InetAddress> addresses,
      Optional<String> resolveProblem, List<Attempt> attempts) {
    public HostReport {
      addresses = List.copyOf(addresses);
      attempts = List.copyOf(attempts);
    }

    public boolean resolves() {
      return resolveProblem.isEmpty();
    }

    public boolean reachable() {
      return attempts.stream().anyMatch(Attempt::opened);
    }

    /** The first attempt that opened (in Postfix's order), else empty. */
    public Optional<Attempt> opened() {
      return attempts.stream().filter(Attempt::opened).findFirst();
    }
  }

  /** A relayed route's relay: every destination of its nexthop, and warnings with their fixes. */
  public record RelayReport(String service, String nexthop, List<HostReport> hosts, List<String> warnings) {
    public RelayReport {
      hosts = List.copyOf(hosts);
      warnings = List.copyOf(warnings);
    }

    /** Postfix tries the destinations in turn: mail leaves when any one of them can be reached. */
    public boolean reachable() {
      return hosts.stream().anyMatch(HostReport::reachable);
    }

    public boolean resolves() {
      return hosts.stream().anyMatch(HostReport::resolves);
    }
  }

  private record Key(String service, String nexthop) {}

  private final MailExchangers exchangers;
  private final Duration connectTimeout;
  private final ExecutorService connectors;
  private final Map<Key, CompletableFuture<RelayReport>> probed = new ConcurrentHashMap<>();

  public RelayProbe(DnsClient dns, Duration connectTimeout) {
    this.exchangers = new MailExchangers(dns, MAX_MX_HOSTS);
    this.connectTimeout = connectTimeout;
    this.connectors = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "ptrguard-relay-probe");
      t.setDaemon(true);
      return t;
    });
  }

  /** Routes sharing service and nexthop are probed once. */
  public CompletableFuture<RelayReport> probe(Route route, RouteModel model) {
    return probed.computeIfAbsent(new Key(route.service(), route.nexthop().text().toLowerCase(Locale.ROOT)),
        k -> run(route, model));
  }

  private CompletableFuture<RelayReport> run(Route route, RouteModel model) {
    Set<Family> families = model.families(route.service());
    String preference = model.setting(route.service(), "smtp_address_preference");
    boolean enforceBind = model.setting(route.service(), "smtp_bind_address_enforce").equalsIgnoreCase("yes");
    List<CompletableFuture<HostReport>> hosts = new ArrayList<>();
    for (RelayHost h : RelayHost.parse(route.nexthop().text())) {
      hosts.add(probeHost(h, route.service(), model, families, preference, enforceBind));
    }
    return CompletableFuture.allOf(hosts.toArray(CompletableFuture[]::new)).thenApply(v -> {
      List<HostReport> reports = hosts.stream().map(CompletableFuture::join).toList();
      return new RelayReport(route.service(), route.nexthop().text(), reports, warnings(route, reports, enforceBind));
    });
  }

  private CompletableFuture<HostReport> probeHost(RelayHost h, String service, RouteModel model, Set<Family> families,
      String preference, boolean enforceBind) {
    if (h.problem().isPresent()) {
      return CompletableFuture.completedFuture(new HostReport(h, Optional.empty(), List.of(), h.problem(), List.of()));
    }
    Optional<InetAddress> literal = IpLiterals.parse(h.host());
    CompletableFuture<Optional<Destination>> found = literal.isPresent() && h.bracketed()
        ? CompletableFuture.completedFuture(Optional.empty())
        : exchangers.resolve(h.host(), h.mxLookup()).thenApply(Optional::of);
    return found.thenCompose(d -> {
      List<InetAddress> all = d.map(Destination::addresses).orElse(literal.map(List::of).orElse(List.of()));
      List<InetAddress> usable = order(all.stream().filter(a -> families.contains(Family.of(a))).toList(), preference);
      Optional<String> problem = d.flatMap(Destination::problem);
      if (problem.isEmpty() && usable.isEmpty()) {
        problem = Optional.of(all.isEmpty() ? "no address" : "only " + families(all) + " addresses, and inet_protocols of "
            + service + " allows " + families.stream().map(Family::word).toList());
      }
      if (problem.isPresent()) {
        return CompletableFuture.completedFuture(new HostReport(h, d, usable, problem, List.of()));
      }
      List<CompletableFuture<Attempt>> attempts = new ArrayList<>();
      for (InetAddress a : usable.subList(0, Math.min(MAX_ADDRESSES, usable.size()))) {
        Optional<InetAddress> source = model.bindAddress(service, Family.of(a));
        attempts.add(CompletableFuture.supplyAsync(() -> connect(a, h.port(), source, enforceBind), connectors));
      }
      return CompletableFuture.allOf(attempts.toArray(CompletableFuture[]::new))
          .thenApply(v -> new HostReport(h, d, usable, Optional.empty(),
              attempts.stream().map(CompletableFuture::join).toList()));
    });
  }

  /** Postfix tries the preferred family first among equal MX preference; "any" keeps the DNS order. */
  static List<InetAddress> order(List<InetAddress> addresses, String preference) {
    if (!preference.equalsIgnoreCase("ipv4") && !preference.equalsIgnoreCase("ipv6")) {
      return addresses;
    }
    Family first = preference.equalsIgnoreCase("ipv4") ? Family.IPV4 : Family.IPV6;
    return addresses.stream().sorted(Comparator.comparingInt(a -> Family.of(a) == first ? 0 : 1)).toList();
  }

  private static String families(List<InetAddress> addresses) {
    return String.join("/", addresses.stream().map(a -> Family.of(a).word()).distinct().toList());
  }

  /** One TCP connect, closed as soon as it opens (nothing is said: the relay sees a dropped connection). */
  Attempt connect(InetAddress address, int port, Optional<InetAddress> source, boolean enforceBind) {
    long start = System.nanoTime();
    Optional<String> bindProblem = Optional.empty();
    Optional<InetAddress> bound = Optional.empty();
    try (Socket socket = new Socket()) {
      if (source.isPresent()) {
        try {
          socket.bind(new InetSocketAddress(source.get(), 0));
          bound = source;
        } catch (IOException e) {
          bindProblem = Optional.of("cannot bind to " + Addresses.text(source.get()) + ": " + e.getMessage());
          if (enforceBind) {
            return new Attempt(address, port, Optional.empty(), bindProblem, millis(start),
                Optional.of("smtp_bind_address_enforce = yes and " + bindProblem.get()));
          }
        }
      }
      socket.connect(new InetSocketAddress(address, port), (int) connectTimeout.toMillis());
      return new Attempt(address, port, bound, bindProblem, millis(start), Optional.empty());
    } catch (java.net.SocketTimeoutException e) {
      return new Attempt(address, port, bound, bindProblem, millis(start),
          Optional.of("no answer within " + connectTimeout.toMillis() + " ms"));
    } catch (IOException | RuntimeException e) {
      return new Attempt(address, port, bound, bindProblem, millis(start), Optional.of(String.valueOf(e.getMessage())));
    }
  }

  private static long millis(long start) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  /** Warning lines, each with what happens to the mail and the fix. */
  static List<String> warnings(Route route, List<HostReport> hosts, boolean enforceBind) {
    List<String> out = new ArrayList<>();
    String where = "route " + route.label() + " (" + route.selection().parameter() + ")";
    boolean anyReachable = hosts.stream().anyMatch(HostReport::reachable);
    for (HostReport h : hosts) {
      if (!h.resolves()) {
        out.add("relay " + h.host().text() + " does not resolve: " + h.resolveProblem().get() + ". "
            + (anyReachable ? "Postfix skips it while another destination of " + where + " answers"
                : "Mail on " + where + " will sit in the queue (deferred) until it does")
            + ". Fix: check the name in " + route.selection().parameter()
            + " (relayhost or the transport entry), or ask the relay's provider for its host name.");
      } else if (!h.reachable()) {
        String why = String.join("; ", h.attempts().stream().map(a -> a.target() + ": " + a.problem().orElse("")).toList());
        out.add("relay " + h.host().text() + " resolves but accepts no TCP connection (" + why + "). "
            + (anyReachable ? "Postfix skips it while another destination of " + where + " answers"
                : "Mail on " + where + " will sit in the queue (deferred) until it does")
            + ". Fix: check the port in " + route.selection().parameter() + " (587 for submission, 465 for "
            + "submissions), a firewall blocking outbound port " + h.host().port() + ", or the provider's status.");
      }
      h.attempts().stream().flatMap(a -> a.bindProblem().stream()).distinct().forEach(p -> out.add("route "
          + route.label() + ": " + p + " (smtp_bind_address" + (enforceBind
              ? "; smtp_bind_address_enforce = yes: Postfix defers the mail)"
              : "; Postfix logs a warning and connects from the kernel's source address)")
          + ". Fix: set smtp_bind_address of service " + route.service() + " to an address of this host."));
    }
    return out;
  }

  @Override
  public void close() {
    connectors.shutdownNow();
  }
}
