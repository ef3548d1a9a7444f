package org.ptrguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.config.ConfigLoader.LoadedConfig;
import org.ptrguard.config.Settings.EnforceAction;
import org.ptrguard.config.Settings.Mode;
import org.ptrguard.config.Settings.OnDnsError;
import org.ptrguard.config.Settings.Severity;
import org.ptrguard.net.CidrRange;
import org.ptrguard.net.IpLiterals;

class ConfigLoaderTest {
  @TempDir Path dir;

  private LoadedConfig loadFile(String text) throws Exception {
    Path file = dir.resolve("ptrguard.conf");
    Files.writeString(file, text);
    return ConfigLoader.load(Optional.of(file), dir.resolve("absent.conf"), Map.of());
  }

  private ConfigException loadError(String text) throws IOException {
    Path file = dir.resolve("broken.conf");
    Files.writeString(file, text);
    try {
      ConfigLoader.load(Optional.of(file), dir.resolve("absent.conf"), Map.of());
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("expected a configuration error for:\n" + text);
  }

  @Test
  void embeddedDefaultsAreSafe() throws Exception {
    LoadedConfig loaded = ConfigLoader.load(Optional.empty(), dir.resolve("absent.conf"), Map.of());
    Settings s = loaded.settings();
    assertThat(loaded.source()).isEqualTo("embedded defaults");
    assertThat(loaded.warnings()).isEmpty();
    assertThat(s.mode()).isEqualTo(Mode.AUDIT);
    assertThat(s.listen()).extracting(Object::toString).containsExactly("inet:127.0.0.1:8894");
    assertThat(s.allowFrom()).containsExactly(CidrRange.parse("127.0.0.0/8"), CidrRange.parse("::1/128"));
    assertThat(s.identities()).singleElement().satisfies(id -> {
      assertThat(id.name()).isEqualTo("default");
      assertThat(id.autoIp()).isTrue();
      assertThat(id.autoEhlo()).isTrue();
      assertThat(id.genericPtr()).isEqualTo(Settings.GenericPtr.WARN);
    });
    assertThat(s.dns().resolvers()).isEmpty();
    assertThat(s.dns().timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.dns().checkBudget()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.dns().staleMax()).isEqualTo(Duration.ofHours(1));
    assertThat(s.enforce().action()).isEqualTo(EnforceAction.TEMPFAIL);
    assertThat(s.enforce().blockOn()).containsExactly(Severity.FAIL);
    assertThat(s.onDnsError()).isEqualTo(OnDnsError.ACCEPT);
    assertThat(s.metrics().listen()).isEmpty();
    assertThat(s.limits().maxFrameBytes()).isEqualTo(1 << 20);
    assertThat(s.unixSocket().mode()).isEqualTo("0660");
    assertThat(s.unixSocket().group()).isEmpty();
  }

  @Test
  void unixSocketModeAndGroup() throws Exception {
    Settings s = loadFile("unix-socket { mode = \"0600\", group = postfix }").settings();
    assertThat(s.unixSocket().mode()).isEqualTo("0600");
    assertThat(s.unixSocket().group()).hasValue("postfix");
    assertThat(loadError("unix-socket.mode = \"rw-rw----\"").getMessage()).contains("unix-socket.mode: 'rw-rw----' must be an octal mode");
    assertThat(loadError("unix-socket.group = \"Post Fix\"").getMessage()).contains("not a valid group name");
  }

  @Test
  void systemFileIsUsedWhenPresentAndNoFileIsGiven() throws Exception {
    Path system = dir.resolve("system.conf");
    Files.writeString(system, "mode = enforce\n");
    LoadedConfig loaded = ConfigLoader.load(Optional.empty(), system, Map.of());
    assertThat(loaded.settings().mode()).isEqualTo(Mode.ENFORCE);
    assertThat(loaded.source()).isEqualTo(system.toString());
  }

  @Test
  void adminFileOverridesDefaults() throws Exception {
    Settings s = loadFile("""
        mode = enforce
        listen = ["inet:[::1]:10025", "unix:/run/ptrguard/milter.sock"]
        identities = [
          { name = main, ip = ["203.0.113.10", "2001:db8::25"], ehlo = Mail.Example.COM }
          { name = b, ip = "198.51.100.7", ehlo = mail-b.example.org, senders = [Example.ORG], generic-ptr = fail }
        ]
        dns { resolvers = ["192.0.2.53", "127.0.0.1:5353", "[2001:db8::53]:53"], timeout = 500ms }
        enforce { action = hold, block-on = [fail, warn] }
        on-dns-error = tempfail
        """).settings();
    assertThat(s.mode()).isEqualTo(Mode.ENFORCE);
    assertThat(s.listen()).hasSize(2);
    assertThat(s.identities()).hasSize(2);
    assertThat(s.identities().get(0).literalIps()).extracting(a -> a.getHostAddress())
        .containsExactly("203.0.113.10", "2001:db8:0:0:0:0:0:25");
    assertThat(s.identities().get(0).ehlo()).hasValue("mail.example.com");
    assertThat(s.identities().get(0).autoIp()).isFalse();
    assertThat(s.identities().get(1).literalIps()).extracting(a -> a.getHostAddress()).containsExactly("198.51.100.7");
    assertThat(s.identities().get(1).senders()).containsExactly("example.org");
    assertThat(s.identities().get(1).genericPtr()).isEqualTo(Settings.GenericPtr.FAIL);
    assertThat(s.dns().resolvers()).extracting(ResolverAddress::toString)
        .containsExactly("192.0.2.53:53", "127.0.0.1:5353", "[2001:db8:0:0:0:0:0:53]:53");
    assertThat(s.dns().timeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.enforce().action()).isEqualTo(EnforceAction.HOLD);
    assertThat(s.enforce().blockOn()).containsExactlyInAnyOrder(Severity.FAIL, Severity.WARN);
    assertThat(s.onDnsError()).isEqualTo(OnDnsError.TEMPFAIL);
  }

  @Test
  void environmentOverridesMode() throws Exception {
    Path file = dir.resolve("ptrguard.conf");
    Files.writeString(file, "mode = audit\n");
    LoadedConfig loaded = ConfigLoader.load(Optional.of(file), dir.resolve("absent"), Map.of("PTRGUARD_MODE", "enforce"));
    assertThat(loaded.settings().mode()).isEqualTo(Mode.ENFORCE);
    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(file), dir.resolve("absent"), Map.of("PTRGUARD_MODE", "panic")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("environment variable PTRGUARD_MODE")
        .hasMessageContaining("must be one of audit, enforce");
  }

  @Test
  void syntaxErrorNamesFileAndLine() throws Exception {
    ConfigException e = loadError("mode = audit\ndns {\n  timeout = 2s\n");
    assertThat(e.getMessage()).contains("broken.conf").containsPattern(": 3|: 4");
  }

  @Test
  void everyProblemIsReportedWithFileLineAndKey() throws Exception {
    ConfigException e = loadError("""
        mode = enforced
        dns.timeout = soon
        allow-from = ["10.0.0.0/33", "not-an-ip"]
        enforce.reply = "550 5.7.1 go away"
        limits.max-connections = 0
        identities = [ { name = a, ip = ["999.1.1.1"], ehlo = x.example.com } ]
        """);
    assertThat(e.problems()).hasSizeGreaterThanOrEqualTo(6);
    assertThat(e.getMessage())
        .contains("broken.conf: 1: mode: 'enforced' must be one of audit, enforce")
        .contains("broken.conf: 2").contains("dns.timeout")
        .contains("broken.conf: 3: allow-from: '10.0.0.0/33': prefix length must be 0-32")
        .contains("'not-an-ip' is not an address or CIDR range")
        .contains("broken.conf: 4: enforce.reply:")
        .contains("broken.conf: 5: limits.max-connections: must be between 1")
        .contains("broken.conf: 6: identities[0].ip: '999.1.1.1' is neither an IP address nor \"auto\"");
  }

  @Test
  void wrongTypesAreErrors() throws Exception {
    assertThat(loadError("audit.add-header = maybe\n").getMessage()).contains("broken.conf: 1").contains("audit.add-header");
    assertThat(loadError("identities = [ \"default\" ]\n").getMessage()).contains("identities[0]: must be an object");
    assertThat(loadError("limits.max-frame-bytes = lots\n").getMessage()).contains("limits.max-frame-bytes");
  }

  @Test
  void identityRulesAreChecked() throws Exception {
    assertThat(loadError("identities = [ {name = a}, {name = a, senders = [x.org]} ]").getMessage())
        .contains("two identities are named 'a'");
    assertThat(loadError("identities = [ {name = a}, {name = b} ]").getMessage())
        .contains("only one identity may apply to all traffic");
    assertThat(loadError("identities = [ {name = a, senders = [\"bob@x.org\"]} ]").getMessage())
        .contains("'bob@x.org' is not a domain name");
    assertThat(loadError("identities = []").getMessage()).contains("at least one identity");
    assertThat(loadError("identities = [ {name = a, generic-ptr = maybe} ]").getMessage())
        .contains("generic-ptr").contains("(in identities[0])");
  }

  @Test
  void resolverAndDurationRules() throws Exception {
    assertThat(loadError("dns.resolvers = [\"ns1.example.net\"]").getMessage()).contains("not an IP address");
    assertThat(loadError("dns.resolvers = [\"127.0.0.1:99999\"]").getMessage()).contains("port must be 1-65535");
    assertThat(loadError("dns { timeout = 3s, check-budget = 1s }").getMessage()).contains("must be at least dns.timeout");
    assertThat(loadError("dns.check-budget = 40s").getMessage()).contains("must stay below 25s");
    assertThat(loadError("dns.timeout = 0s").getMessage()).contains("must be a positive duration");
    assertThat(loadError("refresh { min = 10m, max = 1m }").getMessage()).contains("refresh.max");
  }

  /** Issue 19 defect 8: values no admin means are refused with the key and why, or raised with a warning. */
  @Test
  void absurdValuesAreRefusedOrRaisedWithAWarning() throws Exception {
    assertThat(loadError("dns.timeout = 1ns").getMessage())
        .contains("broken.conf: 1: dns.timeout: 1ns is below 50ms: no resolver answers reliably that fast");
    assertThat(loadError("limits.idle-timeout = 1ms").getMessage())
        .contains("broken.conf: 1: limits.idle-timeout: 1ms is below 1s: Postfix's connection would be cut");
    // refresh: more is always safe, so a tiny value is raised to the floor, with a warning.
    LoadedConfig refresh = loadFile("refresh { min = 1ms, max = 1ms }\n");
    assertThat(refresh.settings().refresh().min()).isEqualTo(ConfigLoader.MIN_REFRESH);
    assertThat(refresh.settings().refresh().max()).isEqualTo(ConfigLoader.MIN_REFRESH);
    assertThat(refresh.warnings()).anySatisfy(w -> assertThat(w).contains("refresh.min: 1ms is below 1s").contains("using 1s"))
        .anySatisfy(w -> assertThat(w).contains("refresh.max: 1ms is below 1s"));
    // allow-from = [] refuses Postfix too, as long as there is a TCP listener; with only a unix socket it is moot.
    assertThat(loadError("allow-from = []").getMessage()).contains("allow-from: is empty, so the TCP listener would"
        + " refuse every client, Postfix included");
    assertThat(loadFile("listen = [\"unix:/run/ptrguard/m.sock\"]\nallow-from = []\n").warnings()).isEmpty();
    // Malformed CIDRs are refused; a range with host bits is legal but warned about with what it means.
    for (String bad : List.of("127.0.0.1/+8", "127.0.0.1/-0", "127.0.0.1/ 8", "127.0.0.1/8/8", "127.0.0.1/0x8",
        "::1/+128", "127.0.0.1/")) {
      assertThat(loadError("allow-from = [\"" + bad + "\"]").getMessage()).as(bad)
          .contains("allow-from: '" + bad + "': prefix length must be a number 0-");
    }
    LoadedConfig hostBits = loadFile("allow-from = [\"127.0.0.1/8\", \"0.0.0.0/0\"]\n");
    assertThat(hostBits.warnings()).anySatisfy(w -> assertThat(w)
        .contains("allow-from: 127.0.0.1/8 has bits set after its /8 prefix; it means 127.0.0.0/8"))
        .anySatisfy(w -> assertThat(w).contains("0.0.0.0/0 lets any host that can reach the TCP listener use the milter"));
    // A world-writable socket, and execute bits, are legal but surely not meant.
    assertThat(loadFile("unix-socket.mode = \"0777\"\n").warnings()).singleElement().asString()
        .contains("unix-socket.mode: 0777: every local user may connect").contains("execute bits mean nothing");
    assertThat(loadFile("limits.idle-timeout = 2s\n").warnings()).singleElement().asString()
        .contains("limits.idle-timeout: 2s is shorter than Postfix's smtpd_timeout (300s)");
    // The defaults and the shipped values draw no warning.
    assertThat(loadFile("unix-socket.mode = \"0660\"\nrefresh { min = 60s, max = 1h }\n").warnings()).isEmpty();
  }

  @Test
  void replyTemplateRules() throws Exception {
    assertThat(loadError("enforce.reply = \"451 4.7.25 {ipaddr} bad\"").getMessage()).contains("unknown placeholder {ipaddr}");
    assertThat(loadError("enforce.reply = \"451 5.7.25 mismatch\"").getMessage()).contains("must look like");
    assertThat(loadError("enforce.reply = \"451 4.7.25\"").getMessage()).contains("must look like");
    assertThat(loadError("enforce.block-on = [warn]").getMessage()).contains("must include fail");
    assertThat(ReplyTemplate.parse("451 4.7.25 {ip}: {reason}").expand(Map.of("ip", "192.0.2.1", "reason", "no PTR ($1)")))
        .isEqualTo("451 4.7.25 192.0.2.1: no PTR ($1)");
  }

  @Test
  void unknownKeysAreWarningsWithSuggestions() throws Exception {
    LoadedConfig loaded = loadFile("""
        mode = audit
        dns.timout = 3s
        frobnicate = yes
        identities = [ { name = default, ehlo = auto, sender = [x.org] } ]
        """);
    assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w)
        .contains("ptrguard.conf: 2: dns.timout: unknown key (did you mean 'dns.timeout'?)"));
    assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w).contains("frobnicate: unknown key, ignored"));
    assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w)
        .contains("identities[0].sender: unknown key (did you mean 'senders'?)"));
  }

  @Test
  void missingOrUnreadableFileIsAnError() {
    assertThatThrownBy(() -> ConfigLoader.load(Optional.of(dir.resolve("nope.conf")), dir.resolve("x"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("nope.conf: no such configuration file");
  }

  @Test
  void resolverAddressParsing() {
    assertThat(ResolverAddress.parse("2001:db8::53").port()).isEqualTo(53);
    assertThat(ResolverAddress.parse("[::1]:5353").toString()).isEqualTo("[0:0:0:0:0:0:0:1]:5353");
    assertThatThrownBy(() -> ResolverAddress.parse("[::1")).hasMessageContaining("missing ']'");
    assertThatThrownBy(() -> ResolverAddress.parse("1.2.3.4:x")).hasMessageContaining("port must be 1-65535");
    assertThat(IpLiterals.parse("localhost")).isEmpty();
    assertThat(IpLiterals.parse("example.com")).isEmpty();
    assertThat(IpLiterals.parse("01.2.3.4")).isEmpty();
    assertThat(IpLiterals.parse("::ffff:192.0.2.1")).isPresent();
  }

  @Test
  void anExplicitNullIsAProblemWithItsLineNotACrash() {
    // Found by ConfigLoaderFuzzTest: "log.level = null" escaped as typesafe-config's own exception.
    assertThatThrownBy(() -> ConfigLoader.parse("log.level = null\nmode = null"))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems()).anySatisfy(p -> assertThat(p).contains("log.level")));
  }

  @Test
  void genericPtrCanBeTurnedOffPerIdentity() throws Exception {
    Settings s = loadFile("""
        identities = [
          { name = relay, ip = "198.51.100.7", ehlo = relay.example.org, senders = [example.org], generic-ptr = off }
          { name = main, ip = "203.0.113.10", ehlo = mail.example.com }
        ]
        """).settings();
    assertThat(s.identities()).extracting(Settings.IdentitySettings::genericPtr)
        .containsExactly(Settings.GenericPtr.OFF, Settings.GenericPtr.WARN);
  }

  @Test
  void feedbackSourceForms() throws Exception {
    assertThat(ConfigLoader.parse("").feedback().source()).isEqualTo(FeedbackSource.AUTO);
    assertThat(ConfigLoader.parse("feedback.source = journal").feedback().source().kind())
        .isEqualTo(FeedbackSource.Kind.JOURNAL);
    assertThat(ConfigLoader.parse("feedback.source = off").feedback().source().kind()).isEqualTo(FeedbackSource.Kind.OFF);
    FeedbackSource file = ConfigLoader.parse("feedback.source = \"file:/var/log/mail.log\"").feedback().source();
    assertThat(file.file()).contains(Path.of("/var/log/mail.log"));
    assertThat(file.word()).isEqualTo("file:/var/log/mail.log");
    ConfigException relative = loadError("feedback.source = \"file:mail.log\"\n");
    assertThat(relative.getMessage()).contains("broken.conf: 1:").contains("feedback.source")
        .contains("file:/absolute/path");
    assertThat(loadError("feedback { source = syslog }\n").getMessage())
        .contains("feedback.source").contains("must be auto, journal, file:/path or off");
  }

  @Test
  void egressDiscoveryIsOffByDefaultAndTakesOpenDnsSettings() throws Exception {
    Settings.EgressSettings off = loadFile("identities = [ {name = a, ip = \"203.0.113.10\", ehlo = mail.example.com} ]")
        .settings().dns().egress();
    assertThat(off).isEqualTo(new Settings.EgressSettings(Settings.EgressDiscover.OFF, "ns1.google.com", 53,
        "o-o.myaddr.l.google.com", Settings.EgressAnswer.TXT));
    Settings.EgressSettings openDns = loadFile("""
        identities = [ {name = a, ip = "203.0.113.10", ehlo = mail.example.com} ]
        egress { discover = dns, server = resolver1.opendns.com, name = myip.opendns.com, type = a }
        """).settings().dns().egress();
    assertThat(openDns).isEqualTo(new Settings.EgressSettings(Settings.EgressDiscover.DNS, "resolver1.opendns.com", 53,
        "myip.opendns.com", Settings.EgressAnswer.A));
    assertThat(loadError("egress { discover = maybe }").getMessage()).contains("egress.discover");
    assertThat(loadError("egress { name = \"not a name\" }").getMessage()).contains("egress.name");
    assertThat(loadError("egress { server = \"a..b\" }").getMessage()).contains("egress.server");
    assertThat(loadError("egress { port = 70000 }").getMessage()).contains("egress.port");
  }
}
