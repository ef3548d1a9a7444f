package org.ptrguard.config;

import org.ptrguard.net.IpLiterals;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The whole validated configuration. Every value has been read and checked at load time, so code
 * holding a Settings never meets a configuration error later (reload swaps whole Settings objects).
 */
public record Settings(
    Mode mode,
    List<String> listen,
    UnixSocketSettings unixSocket,
    List<String> allowFrom,
    List<IdentitySettings> identities,
    ScopeSettings scope,
    DnsSettings dns,
    RefreshSettings refresh,
    EnforceSettings enforce,
    AuditSettings audit,
    OnDnsError onDnsError,
    LogSettings log,
    MetricsSettings metrics,
    LimitSettings limits) {

  public enum Mode { AUDIT, ENFORCE }

  /** The verdict levels the configuration can name (generic-ptr severity, enforce.block-on). */
  public enum Severity { WARN, FAIL }

  public enum EnforceAction { TEMPFAIL, HOLD }

  public enum OnDnsError { ACCEPT, TEMPFAIL }

  /** One outbound identity: {@code ip} holds literals or "auto", {@code ehlo} a name or "auto". */
  public record IdentitySettings(
      String name,
      List<String> ip,
      String ehlo,
      List<String> senders,
      List<String> services,
      Severity genericPtr) {
    public static final String AUTO = "auto";

    public boolean autoEhlo() {
      return AUTO.equals(ehlo);
    }

    public List<InetAddress> literalIps() {
      return ip.stream().filter(s -> !AUTO.equals(s)).map(s -> IpLiterals.parse(s).orElseThrow()).toList();
    }

    public boolean autoIp() {
      return ip.contains(AUTO);
    }
  }

  /** Mode (octal text such as "0660") and optional group of unix socket listeners. */
  public record UnixSocketSettings(String mode, Optional<String> group) {}

  /** Empty {@code clients} means every session is guarded. */
  public record ScopeSettings(List<String> clients) {}

  public record DnsSettings(
      List<ResolverAddress> resolvers,
      List<ResolverAddress> compareWith,
      Duration timeout,
      Duration checkBudget,
      Duration staleMax) {}

  public record RefreshSettings(Duration min, Duration max) {}

  public record EnforceSettings(EnforceAction action, String reply, Set<Severity> blockOn) {}

  public record AuditSettings(boolean addHeader) {}

  public record LogSettings(String level) {}

  /** {@code listen} empty = no metrics endpoint. */
  public record MetricsSettings(Optional<String> listen) {}

  public record LimitSettings(
      int maxFrameBytes,
      int maxConnections,
      Duration idleTimeout,
      int maxMacrosPerStage,
      int maxMacroBytes,
      int maxWaitingSessions) {}
}
