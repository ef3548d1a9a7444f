package org.ptrguard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NettyDefaultsTest {
  private final String before = System.getProperty(NettyDefaults.ALLOCATOR_TYPE);

  @AfterEach
  void restore() {
    if (before == null) {
      System.clearProperty(NettyDefaults.ALLOCATOR_TYPE);
    } else {
      System.setProperty(NettyDefaults.ALLOCATOR_TYPE, before);
    }
  }

  @Test
  void unpooledUnlessTheAdminChoseAnAllocator() {
    System.clearProperty(NettyDefaults.ALLOCATOR_TYPE);
    NettyDefaults.apply();
    assertThat(System.getProperty(NettyDefaults.ALLOCATOR_TYPE)).isEqualTo("unpooled");

    System.setProperty(NettyDefaults.ALLOCATOR_TYPE, "pooled"); // -D in PTRGUARD_JAVA_OPTS
    NettyDefaults.apply();
    assertThat(System.getProperty(NettyDefaults.ALLOCATOR_TYPE)).isEqualTo("pooled");
  }
}
