package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BuildInfoTest {
  @Test
  void versionIsTheOneMavenBuilt() {
    String built = System.getProperty("ptrguard.version");
    assertThat(built).as("surefire passes the project version").isNotBlank();
    assertThat(BuildInfo.version()).isEqualTo(built);
  }

  @Test
  void buildInfoMetricCarriesVersionAndJava() {
    Metrics metrics = new Metrics();
    BuildInfo.register(metrics);
    assertThat(metrics.render()).contains("# TYPE ptrguard_build_info gauge\n")
        .contains("\nptrguard_build_info{version=\"" + BuildInfo.version() + "\",java=\"" + Runtime.version() + "\"} 1\n");
  }
}
