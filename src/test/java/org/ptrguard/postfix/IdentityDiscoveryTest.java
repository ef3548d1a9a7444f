package org.ptrguard.postfix;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.ptrguard.net.KernelRoutes;

/** Discovery against a private Postfix configuration directory read by the real postconf. */
class IdentityDiscoveryTest {
  @TempDir Path dir;

  @BeforeAll
  static void postconfInstalled() {
    assertThat(Path.of("/usr/sbin/postconf")).as("postconf missing: install the Debian package postfix").exists();
  }

  private IdentityDiscovery discovery(String mainCf) throws Exception {
    Files.writeString(dir.resolve("main.cf"), mainCf);
    return new IdentityDiscovery(new PostfixTools(Optional.of(dir), "/usr/sbin/postconf", "/usr/sbin/postmap",
        Duration.ofSeconds(10)));
  }

  @Test
  void bindAddressesAndHeloNameComeFromPostconf() throws Exception {
    IdentityDiscovery d = discovery("""
        myhostname = host.example.com
        smtp_helo_name = out.$mydomain
        mydomain = example.org
        inet_protocols = all
        smtp_bind_address = 203.0.113.25
        smtp_bind_address6 = 2001:db8::25
        """);
    List<IdentityDiscovery.Discovered<InetAddress>> addresses = d.addresses();
    assertThat(addresses).hasSize(2);
    assertThat(addresses.get(0).value()).hasValue(InetAddress.getByName("203.0.113.25"));
    assertThat(addresses.get(0).provenance()).isEqualTo("smtp_bind_address in Postfix's main.cf (postconf)");
    assertThat(addresses.get(1).value()).hasValue(InetAddress.getByName("2001:db8::25"));
    IdentityDiscovery.Discovered<String> ehlo = d.ehlo();
    assertThat(ehlo.value()).hasValue("out.example.org");
    assertThat(ehlo.provenance()).contains("smtp_helo_name").contains("postconf -x");
  }

  @Test
  void ipv4OnlyHostsDoNotGetAnIpv6Identity() throws Exception {
    IdentityDiscovery d = discovery("inet_protocols = ipv4\nsmtp_bind_address = 198.51.100.9\n");
    assertThat(d.addresses()).singleElement().satisfies(a ->
        assertThat(a.value()).hasValue(InetAddress.getByName("198.51.100.9")));
  }

  @Test
  void withoutBindAddressTheKernelRouteIsUsedOrExplained() throws Exception {
    IdentityDiscovery d = discovery("inet_protocols = ipv4\n");
    IdentityDiscovery.Discovered<InetAddress> a = d.addresses().get(0);
    // This sandbox may have no route or only a private address; either way the answer explains itself.
    if (a.value().isPresent()) {
      assertThat(KernelRoutes.isGlobal(a.value().get())).isTrue();
      assertThat(a.provenance()).isEqualTo("kernel route to the Internet (no smtp_bind_address set)");
    } else {
      assertThat(a.provenance()).containsAnyOf("not public", "no route");
    }
  }

  @Test
  void badBindAddressIsExplained() throws Exception {
    IdentityDiscovery d = discovery("inet_protocols = ipv4\nsmtp_bind_address = mail.example.com\n");
    assertThat(d.addresses().get(0).value()).isEmpty();
    assertThat(d.addresses().get(0).provenance()).contains("is not an address literal");
  }

  @Test
  void missingPostconfIsNotACrash() {
    IdentityDiscovery d = new IdentityDiscovery(new PostfixTools(Optional.empty(), "/nonexistent/postconf",
        "/nonexistent/postmap", Duration.ofSeconds(2)));
    assertThat(d.addresses()).isNotEmpty().allSatisfy(a -> assertThat(a.provenance()).contains("postconf unavailable"));
    assertThat(d.ehlo().provenance()).isNotEmpty();
  }

  @Test
  void globalAddressRules() throws Exception {
    assertThat(KernelRoutes.isGlobal(InetAddress.getByName("10.1.2.3"))).isFalse();
    assertThat(KernelRoutes.isGlobal(InetAddress.getByName("100.64.1.1"))).isFalse();
    assertThat(KernelRoutes.isGlobal(InetAddress.getByName("fd00::1"))).isFalse();
    assertThat(KernelRoutes.isGlobal(InetAddress.getByName("fe80::1"))).isFalse();
    assertThat(KernelRoutes.isGlobal(InetAddress.getByName("203.0.113.7"))).isTrue();
    assertThat(KernelRoutes.isGlobal(InetAddress.getByName("2001:db8::1"))).isTrue();
  }
}
