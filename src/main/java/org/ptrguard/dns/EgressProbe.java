package org.ptrguard.dns;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.ptrguard.net.Addresses;
import org.ptrguard.net.IpLiterals;
import org.ptrguard.ops.LogValues;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Finds the address receivers see for one source address: asks an {@link EgressQuery} server from
 * that address (bound to it when it is local, so a NAT maps the question as it maps the SMTP
 * connection). Whatever the server answers, the result is a value: an answer that is no address,
 * or no answer, is logged and reported, never thrown.
 */
public final class EgressProbe {
  private static final Logger LOG = LoggerFactory.getLogger(EgressProbe.class);

  /** What the probe found. {@code evidence} says what was asked, from where, and what came back. */
  public sealed interface Result {
    String evidence();
  }

  /** The server saw {@code address}. */
  public record Seen(InetAddress address, String evidence) implements Result {}

  /** The server answered, but not with an address (or with nothing usable). */
  public record NotAnAddress(String answer, String evidence) implements Result {}

  /** No answer: the server name did not resolve, the question timed out or failed. */
  public record Failed(String why, String evidence) implements Result {}

  private final EgressQuery query;
  private final DnsClient resolver;
  private final Duration timeout;
  private final Executor executor;
  private final DnsCounters counters;

  /** @param resolver the configured resolvers, used to find the server's address when it is a name */
  public EgressProbe(EgressQuery query, DnsClient resolver, Duration timeout, Executor executor, DnsCounters counters) {
    this.query = query;
    this.resolver = resolver;
    this.timeout = timeout;
    this.executor = executor;
    this.counters = counters;
  }

  /** Never completes exceptionally. */
  public CompletableFuture<Result> probe(InetAddress source) {
    boolean v6 = source instanceof Inet6Address;
    return serverAddress(v6).thenCompose(server -> {
      if (server.isEmpty()) {
        return CompletableFuture.completedFuture(logged(new Failed("the server " + query.server() + " has no "
            + (v6 ? "AAAA" : "A") + " record", "asked " + query.describe())));
      }
      return CompletableFuture.supplyAsync(() -> bindable(source), executor).thenCompose(bind -> {
        String from = bind.map(a -> "from " + Addresses.text(a)).orElse("from the kernel's choice of source ("
            + Addresses.text(source) + " is not a local address)");
        String asked = "asked " + query.name() + " " + Type.string(type(v6)) + " at "
            + Addresses.hostPort(server.get(), query.port()) + " " + from;
        DnsClient direct = new DnsClient(List.of(new InetSocketAddress(server.get(), query.port())), timeout, executor,
            counters, bind);
        return direct.lookup(name(query.name()), type(v6)).thenApply(outcome -> logged(result(outcome, asked, v6)));
      });
    }).exceptionally(e -> logged(new Failed(String.valueOf(e.getMessage()), "asked " + query.describe())));
  }

  private int type(boolean v6) {
    return query.kind() == EgressQuery.Kind.TXT ? Type.TXT : v6 ? Type.AAAA : Type.A;
  }

  private CompletableFuture<Optional<InetAddress>> serverAddress(boolean v6) {
    Optional<InetAddress> literal = IpLiterals.parse(query.server());
    if (literal.isPresent()) {
      return CompletableFuture.completedFuture(literal);
    }
    return resolver.lookup(name(query.server()), v6 ? Type.AAAA : Type.A).thenApply(o -> o instanceof DnsOutcome.Answer a
        ? a.records().stream().map(EgressProbe::address).flatMap(Optional::stream).findFirst() : Optional.empty());
  }

  /** The source address, if a socket can be bound to it here (else the kernel picks one). */
  private static Optional<InetAddress> bindable(InetAddress source) {
    try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(source, 0))) {
      return Optional.of(source);
    } catch (IOException | RuntimeException notLocal) {
      return Optional.empty();
    }
  }

  private static Result result(DnsOutcome outcome, String asked, boolean v6) {
    if (!(outcome instanceof DnsOutcome.Answer answer)) {
      return new Failed(DnsOutcome.word(outcome), asked + ": " + DnsOutcome.word(outcome) + " from " + outcome.resolver());
    }
    StringBuilder text = new StringBuilder();
    for (Record r : answer.records()) {
      Optional<InetAddress> a = address(r);
      if (a.isPresent() && (a.get() instanceof Inet6Address) == v6) {
        return new Seen(a.get(), asked + ": " + r.rdataToString());
      }
      text.append(text.length() == 0 ? "" : " ").append(r.rdataToString());
    }
    return new NotAnAddress(text.toString(), asked + ": " + text);
  }

  /** The address in an A/AAAA record, or the first TXT string that is an address literal. */
  private static Optional<InetAddress> address(Record r) {
    if (r instanceof ARecord a) {
      return Optional.of(a.getAddress());
    }
    if (r instanceof AAAARecord aaaa) {
      return Optional.of(IpLiterals.unmapped(aaaa.getAddress()));
    }
    if (r instanceof TXTRecord txt) {
      return txt.getStrings().stream().map(String::trim).map(IpLiterals::parse).flatMap(Optional::stream).findFirst();
    }
    return Optional.empty();
  }

  private Result logged(Result r) {
    if (r instanceof NotAnAddress n) {
      LOG.warn("event=egress-discovery outcome=not-an-address query={} answer={}", LogValues.of(query.describe()),
          LogValues.of(n.answer()));
    } else if (r instanceof Failed f) {
      LOG.warn("event=egress-discovery outcome=failed query={} reason={}", LogValues.of(query.describe()),
          LogValues.of(f.why()));
    }
    return r;
  }

  private static Name name(String text) {
    try {
      return Name.fromString(text.endsWith(".") ? text : text + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("not a DNS name: " + text, e);
    }
  }
}
