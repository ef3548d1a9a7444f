package org.ptrguard.milter;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters of the milter layer, read by the metrics endpoint: connections, commands, protocol errors. */
public final class MilterStats {
  private final LongAdder accepted = new LongAdder();
  private final Map<String, LongAdder> refused = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> commands = new ConcurrentHashMap<>();
  private final LongAdder protocolErrors = new LongAdder();

  /** Each refusal reason and command starts at 0, so a metrics scrape shows it before it first happens. */
  public MilterStats() {
    for (String reason : MilterServer.REFUSAL_REASONS) {
      refused.put(reason, new LongAdder());
    }
    for (Class<?> command : MilterCommand.class.getPermittedSubclasses()) {
      commands.put(command.getSimpleName(), new LongAdder());
    }
  }

  void accepted() {
    accepted.increment();
  }

  void refused(String reason) {
    refused.computeIfAbsent(reason, k -> new LongAdder()).increment();
  }

  void command(MilterCommand command) {
    commands.computeIfAbsent(command.getClass().getSimpleName(), k -> new LongAdder()).increment();
  }

  void protocolError() {
    protocolErrors.increment();
  }

  public long acceptedConnections() {
    return accepted.sum();
  }

  public Map<String, Long> refusedConnections() {
    return snapshot(refused);
  }

  /** Commands received, by command type (OptionNegotiation, Connect, Helo, ...). */
  public Map<String, Long> commands() {
    return snapshot(commands);
  }

  public long protocolErrors() {
    return protocolErrors.sum();
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> map) {
    Map<String, Long> out = new TreeMap<>();
    map.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
