package org.ptrguard.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import java.util.List;
import java.util.Optional;

/**
 * Every configuration key with its meaning, declared once. ptrguard.conf(5) and
 * {@code docs/configuration.md} are rendered from this list, and each key's default is read from the
 * embedded {@code reference.conf} itself, so neither can drift from what ptrguard does
 * ({@code ConfigReferenceTest} checks that every key of reference.conf is described here and the
 * other way round). A key added to reference.conf needs its line here.
 */
public final class ConfigReference {
  /**
   * One key. {@code name} is its HOCON path ({@code dns.timeout}); keys inside each element of a list
   * are written {@code identities[].ip} and carry their default in words.
   */
  public record Key(String name, String meaning, Optional<String> defaultInWords) {
    static Key of(String name, String meaning) {
      return new Key(name, meaning, Optional.empty());
    }

    static Key element(String name, String defaultInWords, String meaning) {
      return new Key(name, meaning, Optional.of(defaultInWords));
    }

    public boolean inListElement() {
      return name.contains("[]");
    }
  }

  public static final String INTRO = "The file is HOCON (`--config FILE`, else `/etc/ptrguard/ptrguard.conf` if "
      + "present, else the built-in defaults below). Unknown keys are warnings (with \"did you mean\"); wrong types, "
      + "bad durations, invalid addresses, CIDRs or reply texts are errors naming file and line, and stop the start "
      + "(exit 78) or a reload (the old configuration is kept). `PTRGUARD_MODE=audit|enforce` in the environment "
      + "overrides `mode`. `ptrguard config` prints the effective value of every key and where it came from.";

  public static final List<Key> KEYS = List.of(
      Key.of("mode", "`audit`: log each decision, let all mail pass. `enforce`: stop mail whose identity verdict is "
          + "in `enforce.block-on`."),
      Key.of("listen", "Milter listeners, in the forms of Postfix's `smtpd_milters`: `inet:HOST:PORT` (IPv6 as "
          + "`inet:[::1]:PORT`), `inet:PORT@HOST`, `inet6:PORT@HOST`, `unix:/path` or `local:/path`. HOST may be a "
          + "name such as `localhost`, resolved once at start. A unix path may be at most 107 bytes (the kernel's "
          + "sun_path) and its directory at most 74 (the socket is bound first in a private subdirectory there); "
          + "longer is a configuration error. Two listeners on one port (of one address, or of a wildcard address, "
          + "`metrics.listen` included) or one path are a configuration error. At start every listener is bound "
          + "before any accepts, and a failure names the listener and the cause (exit 69)."),
      Key.of("unix-socket.mode", "Mode a unix socket is created with (Postfix must be able to write to it). "
          + "Write permission for others (every local user may talk to the milter) and execute bits (meaningless "
          + "on a socket) are warned about."),
      Key.of("unix-socket.group", "Group a unix socket is created with; empty: ptrguard's own group."),
      Key.of("allow-from", "TCP peers allowed to talk to the milter (CIDRs or addresses); others are closed at accept. "
          + "Empty while a TCP listener exists is an error (Postfix itself would be refused); a prefix length is "
          + "digits only (`127.0.0.1/+8` is an error); a range with bits after its prefix (`127.0.0.1/8`) and a `/0` "
          + "range are warned about."),
      Key.of("identities", "The MTA's outbound identities, each with the keys below."),
      Key.element("identities[].name", "required", "A name for logs, metrics and `check`."),
      Key.element("identities[].ip", "[\"auto\"]", "Source addresses; `auto` takes Postfix's `smtp_bind_address` / "
          + "`smtp_bind_address6` if set, otherwise the address the kernel would use towards the Internet (global "
          + "addresses only). Behind NAT, write the public address."),
      Key.element("identities[].ehlo", "auto", "The EHLO name; `auto` takes `smtp_helo_name` (fully expanded), else "
          + "the host's FQDN."),
      Key.element("identities[].senders", "[]", "Sender domains (and their subdomains) at MAIL FROM that select this "
          + "identity."),
      Key.element("identities[].services", "[]", "Postfix services (`{daemon_name}`) that select this identity."),
      Key.element("identities[].generic-ptr", "warn", "What a provider-style PTR name (`ptr.generic`) does to the "
          + "identity: `off` (no finding, e.g. a relay host whose receivers ignore it), `warn` or `fail`. The finding "
          + "names the shape that matched: the address's spelling, the word, or the provider's naming scheme."),
      Key.of("routes.enabled", "`yes`: read Postfix's routes (postconf, postmap) and decide each recipient at RCPT by "
          + "the route Postfix resolved for it (`{rcpt_mailer}`, `{rcpt_host}`); the identities above become overrides "
          + "(NAT). `no`: one decision per session from the identities. `auto` (the default): `yes` when the file "
          + "writes no `identities` (or only the discovering `{ ip = [auto], ehlo = auto }` for all traffic) and "
          + "`postconf` answers when the daemon starts, else `no`: a configuration that names addresses, EHLO names, "
          + "senders or services keeps working as it did. The start-up line `event=routes-mode` says which and why. "
          + "Changes apply at restart. See docs/routes.md."),
      Key.of("routes.postfix-config", "The Postfix instance's configuration directory (as `postconf -c`); empty: the "
          + "default instance."),
      Key.of("feedback.source", "Where the daemon reads Postfix's delivery log to learn what receivers answered: "
          + "`auto` (the journal when it holds Postfix's entries, else `/var/log/mail.log`, else Postfix's "
          + "`maillog_file`, else off with one log line saying why), `journal` (`journalctl --follow` as a child "
          + "process), `file:/path` (follows rename and copytruncate rotation) or `off`. Reading starts at the end."),
      Key.of("feedback.enforce", "`true`: a receiver's reverse-DNS or HELO rejection read from the log marks the identity "
          + "that sent the mail (its address, so its route and family) `fail` for `feedback.hold-for`, with the finding "
          + "`receiver.rejected` naming the receiver and its reply, even when its DNS looks right from here: in enforce "
          + "mode the next messages on that route are stopped instead of bouncing too. Off again on reload drops every "
          + "mark."),
      Key.of("feedback.hold-for", "How long such a mark lasts (1m to 7d); it ends earlier when the identity's DNS answers "
          + "(PTR names, finding codes, verdict) change."),
      Key.of("scope.clients", "Guard only sessions from these client CIDRs; empty: all sessions."),
      Key.of("dns.resolvers", "Resolvers to ask (`\"192.0.2.53\"`, `\"127.0.0.1:5353\"`, `\"[2001:db8::53]:53\"`); "
          + "empty: `/etc/resolv.conf`."),
      Key.of("dns.compare-with", "Extra resolvers asked the same questions; differing answers are reported "
          + "(split horizon)."),
      Key.of("dns.timeout", "Time for one query; at least 50ms (less is an error: every lookup would fail)."),
      Key.of("dns.check-budget", "Time for one identity check, all lookups included (keep it below Postfix's 30 s "
          + "milter timeouts)."),
      Key.of("egress.discover", "`dns`: ask a \"what is my address\" DNS server, from each identity's address, which "
          + "address it sees, and report `egress.nat` when receivers see another address than the one bound (NAT). "
          + "`off` (default): no question to a third party."),
      Key.of("egress.server", "The server asked (host name, resolved through `dns.resolvers`, or address): Google's "
          + "`ns1.google.com` or OpenDNS's `resolver1.opendns.com`."),
      Key.of("egress.port", "The server's port."),
      Key.of("egress.name", "The name asked for: `o-o.myaddr.l.google.com` (Google) or `myip.opendns.com` (OpenDNS)."),
      Key.of("egress.type", "`txt`: the address comes back as TXT text (Google); `a`: as an A record, AAAA for IPv6 "
          + "(OpenDNS). An answer that is not an address is logged (`event=egress-discovery`), never fatal."),
      Key.of("dns.stale-max", "How long a last known verdict is served while DNS fails, before `on-dns-error` applies."),
      Key.of("dns.authoritative", "Also ask the name servers of the reverse zone and of the PTR name's zone "
          + "directly (found through `dns.resolvers`): the verdict judges their answers, and `dns.propagating` "
          + "reports a resolver cache that still holds another answer (docs/finding-codes.md). `no`: the resolvers' "
          + "answers only (for a host that may not reach name servers on port 53)."),
      Key.of("dns.authoritative-port", "The port the zones' name servers are asked on: 53; another only in a test "
          + "lab."),
      Key.of("refresh.min", "Lower bound of the TTL-driven background refresh. Below 1s it is raised to 1s with a "
          + "warning (re-checking more often only floods the resolvers)."),
      Key.of("refresh.max", "Upper bound of the TTL-driven background refresh; at least `refresh.min`, raised to 1s "
          + "like it."),
      Key.of("enforce.action", "`tempfail`: reply `enforce.reply`, Postfix returns it at MAIL FROM and queues nothing. "
          + "`hold`: accept and put the message on hold (`postsuper -H` releases it); the right choice for "
          + "`non_smtpd_milters`."),
      Key.of("enforce.reply", "A 4xx reply; placeholders `{ip}`, `{identity}`, `{verdict}`, `{code}`, `{reason}`."),
      Key.of("enforce.block-on", "Verdicts that stop mail in enforce mode; add `warn` to also stop mail on warnings "
          + "(generic PTR, EHLO mismatch)."),
      Key.of("audit.add-header", "In audit mode, add `X-PTRGuard: <verdict> ...` to each message."),
      Key.of("on-dns-error", "Verdict `unknown` (DNS trouble, nothing cached): `accept` or `tempfail` (with "
          + "`enforce.action = hold`: hold)."),
      Key.of("log.level", "`error`, `warn`, `info` or `debug`; applies to ptrguard's own log lines, at once on reload."),
      Key.of("metrics.listen", "`\"127.0.0.1:9894\"` serves Prometheus text at `/metrics`; empty: off."),
      Key.of("control.socket", "Local control socket for `ptrguard status` and `ptrguard recheck` (docs/control.md): "
          + "created with mode 0660 and group `unix-socket.group` (ptrguard's own when empty), so root and that group "
          + "may use it; nobody else can connect. `auto`: `control.sock` in the directory of the first `unix:` "
          + "listener, else `/run/ptrguard/control.sock` (the systemd unit's RuntimeDirectory; when it does not exist "
          + "the endpoint is off, with a log line). An absolute path: there, and a failure to create it stops the "
          + "start (exit 69). `\"\"`: off. The metrics listener also serves `GET /status` and `POST /recheck`, to "
          + "loopback clients only."),
      Key.of("limits.max-frame-bytes", "Largest milter packet accepted. Besides, all connections together may hold "
          + "at most a quarter of the JVM heap limit in packets still arriving (the connection adding to a full budget "
          + "is closed, unless its packet is under 4 KiB, as all packets for the events ptrguard asks Postfix for are)."),
      Key.of("limits.max-connections", "Concurrent milter connections; more are refused with a log line "
          + "(per-connection lines, refusals included, are limited to one per kind and second, with `suppressed=N`)."),
      Key.of("limits.idle-timeout", "A milter client silent this long is disconnected, as is one that does not "
          + "read its replies for this long. A packet must also arrive whole within this time (at most 10 s) of its "
          + "first byte, however slowly it trickles in (`event=milter-frame-timeout`). At least 1s (less is an "
          + "error); below Postfix's `smtpd_timeout` (300s) a warning, since a client pausing that long between SMTP "
          + "commands would lose the milter and `milter_default_action` would apply."),
      Key.of("limits.max-macros-per-stage", "Macros accepted per milter stage and connection; a packet with more "
          + "is refused while it is read, before any macro is stored."),
      Key.of("limits.max-macro-bytes", "Bytes of macro names and values accepted per connection."),
      Key.of("limits.max-waiting-sessions", "Sessions that may wait for a cold identity check at once; later ones "
          + "get the `on-dns-error` answer at once."));

  public static final String IDENTITY_EXAMPLE = String.join("\n",
      "identities = [",
      "  { name = default, ip = [\"auto\"], ehlo = auto }",
      "  # A second outbound IP used by a sender-dependent transport or a separate smtpd service:",
      "  { name = newsletters, ip = [\"203.0.113.20\"], ehlo = news.example.org,",
      "    senders = [\"news.example.org\"],       # chosen by MAIL FROM domain (and its subdomains)",
      "    services = [\"submission-news\"],       # and/or by Postfix's {daemon_name}",
      "    generic-ptr = warn }                  # off, warn (default) or fail for a provider-style PTR name",
      "]");

  private static final Config REFERENCE = ConfigFactory.parseResources(ConfigReference.class.getClassLoader(),
      "reference.conf", ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF));

  private ConfigReference() {}

  /** The key's built-in default as HOCON ({@code 2s}, {@code ["inet:127.0.0.1:8894"]}, {@code ""}). */
  public static String defaultOf(Key key) {
    if (key.defaultInWords().isPresent()) {
      return key.defaultInWords().get();
    }
    com.typesafe.config.ConfigValue value = REFERENCE.getValue(key.name());
    // Durations and words read as written in the file (2s, audit); only strings that need them keep quotes.
    if (value.valueType() == com.typesafe.config.ConfigValueType.STRING
        && value.unwrapped().toString().matches("(?=.*[A-Za-z])[A-Za-z0-9][\\w.-]*")) {
      return value.unwrapped().toString();
    }
    return value.render(ConfigRenderOptions.concise().setJson(false));
  }

  /** Every leaf path of reference.conf (lists count as leaves), for the completeness check. */
  public static List<String> referencePaths() {
    return REFERENCE.entrySet().stream().map(java.util.Map.Entry::getKey).sorted().toList();
  }

  /** docs/configuration.md, whole. */
  public static String markdown() {
    StringBuilder s = new StringBuilder();
    s.append("# Configuration reference\n\n");
    s.append("<!-- Generated from org.ptrguard.config.ConfigReference, like ptrguard.conf(5); do not edit here:\n");
    s.append("     edit that class and run: mvn -B -q compile exec:java@docs -Dexec.args=docs -->\n\n");
    s.append(INTRO).append("\n\n");
    s.append("| key | default | meaning |\n|---|---|---|\n");
    for (Key k : KEYS) {
      s.append("| `").append(k.name()).append("` | `").append(defaultOf(k).replace("|", "\\|")).append("` | ")
          .append(k.meaning().replace("|", "\\|")).append(" |\n");
    }
    s.append("\nAn identity:\n\n```\n").append(IDENTITY_EXAMPLE).append("\n```\n");
    return s.toString();
  }
}
