package org.ptrguard.ops;

import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.simple.SimpleLoggerFactory;
import org.slf4j.simple.SimpleServiceProvider;

/** Selected through the {@code slf4j.provider} property set by {@link Logging#init}. */
public final class PtrguardLoggerProvider extends SimpleServiceProvider {
  private final ILoggerFactory factory = new SimpleLoggerFactory() {
    @Override
    protected Logger createLogger(String name) {
      return new PtrguardLogger(name);
    }
  };

  @Override
  public ILoggerFactory getLoggerFactory() {
    return factory;
  }
}
