package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
  @Test
  void servesPrometheusTextOverHttp() throws Exception {
    Metrics metrics = new Metrics();
    Metrics.CounterFamily decisions = metrics.counter("ptrguard_decisions_total", "Decisions taken", "mode", "action");
    decisions.labels("audit", "accept").add(3);
    decisions.labels("enforce", "tempfail").increment();
    metrics.gauge("ptrguard_identity_verdict", "1 for the identity's current verdict", List.of("identity", "verdict"),
        () -> Map.of(List.of("de\"fault", "pass"), 1.0));
    try (MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), metrics)) {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + server.address().getPort();
      HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.headers().firstValue("content-type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
      assertThat(ok.headers().firstValue("connection")).hasValue("close");
      assertThat(ok.body()).isEqualTo("""
          # HELP ptrguard_decisions_total Decisions taken
          # TYPE ptrguard_decisions_total counter
          ptrguard_decisions_total{mode="audit",action="accept"} 3
          ptrguard_decisions_total{mode="enforce",action="tempfail"} 1
          # HELP ptrguard_identity_verdict 1 for the identity's current verdict
          # TYPE ptrguard_identity_verdict gauge
          ptrguard_identity_verdict{identity="de\\"fault",verdict="pass"} 1
          """);
      HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(base + "/other")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(missing.statusCode()).isEqualTo(404);
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
    }
  }
}
