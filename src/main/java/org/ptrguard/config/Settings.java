package org.ptrguard.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.ptrguard.net.CidrRange;
import org.ptrguard.net.ListenAddress;
import org.ptrguard.ops.LogLevel;

/**
 * The whole validated configuration. Every value has been read and checked at load time, so code
 * holding a Settings never meets a configuration error later (reload swaps whole Settings objects).
 * Values are held parsed (addresses, ranges, enums, the reply template): nothing downstream parses a
 * configuration string again.
 */
public record Settings(
    Mode mode,
    List<ListenAddress> listen,
    UnixSocketSettings unixSocket,
    List<CidrRange> allowFrom,
    List<IdentitySettings> identities,
    ScopeSettings scope,
    DnsSettings dns,
    RefreshSettings refresh,
    EnforceSettings enforce,
    AuditSettings audit,
    OnDnsError onDnsError,
    LogSettings log,
    MetricsSettings metrics,
    LimitSettings limits,
    RouteSettings routes,
    FeedbackSettings feedback,
    ControlSettings control) {

  /** The same settings with other identities (the daemon's monitor in route mode checks none of its own). */
  public Settings withIdentities(List<IdentitySettings> other) {
    return new Settings(mode, listen, unixSocket, allowFrom, List.copyOf(other), scope, dns, refresh, enforce, audit,
        onDnsError, log, metrics, limits, routes, feedback, control);
  }

  public enum Mode { AUDIT, ENFORCE }

  /** The verdict levels the configuration can name (enforce.block-on). */
  public enum Severity { WARN, FAIL }

  /** What a provider-default PTR name does to an identity ({@code generic-ptr}). */
  public enum GenericPtr { OFF, WARN, FAIL }

  public enum EnforceAction { TEMPFAIL, HOLD }

  public enum OnDnsError { ACCEPT, TEMPFAIL }

  /**
   * One outbound identity. {@code ip = ["auto", ...]} in the configuration becomes {@code autoIp}
   * (discover the outbound addresses) next to the literal addresses; {@code ehlo = auto} becomes an
   * empty {@code ehlo} (discover Postfix's EHLO name).
   */
  public record IdentitySettings(
      String name,
      List<InetAddress> literalIps,
      boolean autoIp,
      Optional<String> ehlo,
      List<String> senders,
      List<String> services,
      GenericPtr genericPtr) {
    /** The word that stands for "discover it" in {@code ip} and {@code ehlo}. */
    public static final String AUTO = "auto";

    public IdentitySettings {
      literalIps = List.copyOf(literalIps);
      senders = List.copyOf(senders);
      services = List.copyOf(services);
    }

    public boolean autoEhlo() {
      return ehlo.isEmpty();
    }
  }

  /** Mode (octal text such as "0660") and optional group of unix socket listeners. */
  public record UnixSocketSettings(String mode, Optional<String> group) {}

  /** Empty {@code clients} means every session is guarded. */
  public record ScopeSettings(List<CidrRange> clients) {}

  /**
   * @param authoritative whether each check also asks the zones' authoritative servers
   * @param authoritativePort the port they are asked on: 53, another only in a test lab
   */
  public record DnsSettings(
      List<ResolverAddress> resolvers,
      List<ResolverAddress> compareWith,
      Duration timeout,
      Duration checkBudget,
      Duration staleMax,
      boolean authoritative,
      int authoritativePort,
      EgressSettings egress) {}

  /** {@code egress.discover}: off, or ask a "what is my address" DNS server. */
  public enum EgressDiscover { OFF, DNS }

  /** How the "what is my address" server spells the answer: TXT text, or an A/AAAA record. */
  public enum EgressAnswer { TXT, A }

  /**
   * Egress discovery behind NAT ({@code egress.*}): which server to ask, from each identity's
   * address, for the address it sees.
   */
  public record EgressSettings(EgressDiscover discover, String server, int port, String name, EgressAnswer type) {}

  public record RefreshSettings(Duration min, Duration max) {}

  public record EnforceSettings(EnforceAction action, ReplyTemplate reply, Set<Severity> blockOn) {}

  public record AuditSettings(boolean addHeader) {}

  public record LogSettings(LogLevel level) {}

  /** {@code listen} empty = no metrics endpoint. */
  public record MetricsSettings(Optional<InetSocketAddress> listen) {}

  /** {@code routes.enabled}: yes, no, or auto (on when the file writes no identities and postconf works). */
  public enum RouteMode { YES, NO, AUTO }

  /**
   * Route mode: per-recipient decisions from Postfix's routing.
   *
   * @param enabled as written (auto is made yes or no when the daemon starts: cli.RouteChecks#routeMode)
   * @param postfixConfig the instance's configuration directory; empty for the default instance
   * @param identitiesWritten whether the file lists {@code identities} itself (not the built-in default)
   */
  public record RouteSettings(RouteMode enabled, Optional<java.nio.file.Path> postfixConfig,
      boolean identitiesWritten) {
    /** Whether {@code other} leads to the same route mode decision at start (what a reload cannot change). */
    public boolean sameModeAs(RouteSettings other) {
      return enabled == other.enabled && postfixConfig.equals(other.postfixConfig)
          && (enabled != RouteMode.AUTO || identitiesWritten == other.identitiesWritten);
    }
  }

  /**
   * Receiver feedback from Postfix's delivery log (docs/feedback.md).
   *
   * @param source where the log is read from
   * @param enforce whether a receiver's reverse-DNS or HELO rejection marks the identity fail
   * @param holdFor how long such a mark lasts (unless the identity's DNS changes first)
   */
  public record FeedbackSettings(FeedbackSource source, boolean enforce, Duration holdFor) {}

  /**
   * The daemon's local control socket ({@code ptrguard status}, {@code recheck}).
   *
   * @param socket where it is; empty when switched off
   * @param auto true when the path was derived ({@code control.socket = auto}): a missing directory
   *     then switches the endpoint off with a log line instead of stopping the start
   */
  public record ControlSettings(Optional<java.nio.file.Path> socket, boolean auto) {
    /** The file name of the socket when its place is derived. */
    public static final String FILE_NAME = "control.sock";
    public static final java.nio.file.Path DEFAULT_DIR = java.nio.file.Path.of("/run/ptrguard");
  }

  public record LimitSettings(
      int maxFrameBytes,
      int maxConnections,
      Duration idleTimeout,
      int maxMacrosPerStage,
      int maxMacroBytes,
      int maxWaitingSessions) {}
}
