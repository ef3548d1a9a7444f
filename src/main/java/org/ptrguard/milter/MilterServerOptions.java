package org.ptrguard.milter;

import org.ptrguard.net.ListenAddress;
import org.ptrguard.net.CidrRange;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Server settings. The first seven components are the contract in notes/milter-api.md (and have a
 * constructor of their own); the last three are protocol limits and the PROGRESS interval.
 */
public record MilterServerOptions(
    List<ListenAddress> listeners,
    List<CidrRange> allowFrom,
    int maxFrameBytes,
    Duration idleTimeout,
    int maxConnections,
    String unixSocketMode,
    Optional<String> unixSocketGroup,
    int maxMacrosPerStage,
    int maxMacroBytes,
    Duration progressInterval) {

  public static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
  public static final int DEFAULT_MAX_MACROS_PER_STAGE = 64;
  public static final int DEFAULT_MAX_MACRO_BYTES = 65536;
  /** Well under Postfix's milter_command_timeout and milter_content_timeout. */
  public static final Duration DEFAULT_PROGRESS_INTERVAL = Duration.ofSeconds(10);
  /**
   * Longest time a frame may take to arrive once its first byte has (or the idle timeout, if shorter).
   * Postfix writes a frame (at most 64 KiB of body, usually far less) in one go; 10 s is 100 KB/s
   * for a whole 1 MiB frame.
   */
  public static final Duration MAX_FRAME_TIME = Duration.ofSeconds(10);

  public MilterServerOptions {
    listeners = List.copyOf(listeners);
    allowFrom = List.copyOf(allowFrom);
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(unixSocketGroup, "unixSocketGroup");
    Objects.requireNonNull(progressInterval, "progressInterval");
    if (listeners.isEmpty()) {
      throw new IllegalArgumentException("at least one listener is needed");
    }
    if (maxFrameBytes < 64) {
      throw new IllegalArgumentException("maxFrameBytes must be >= 64, got " + maxFrameBytes);
    }
    if (maxConnections < 1 || maxMacrosPerStage < 1 || maxMacroBytes < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero() || progressInterval.isNegative() || progressInterval.isZero()) {
      throw new IllegalArgumentException("timeouts must be positive");
    }
    if (unixSocketMode == null || !unixSocketMode.matches("0?[0-7]{3}")) {
      throw new IllegalArgumentException("unix socket mode must be octal like 0660, got " + unixSocketMode);
    }
  }

  public MilterServerOptions(List<ListenAddress> listeners, List<CidrRange> allowFrom, int maxFrameBytes,
      Duration idleTimeout, int maxConnections, String unixSocketMode, Optional<String> unixSocketGroup) {
    this(listeners, allowFrom, maxFrameBytes, idleTimeout, maxConnections, unixSocketMode, unixSocketGroup,
        DEFAULT_MAX_MACROS_PER_STAGE, DEFAULT_MAX_MACRO_BYTES, DEFAULT_PROGRESS_INTERVAL);
  }

  /** inet:127.0.0.1:8894, loopback clients only, 1 MiB frames, 5 min idle, 1000 connections, 0660. */
  public static MilterServerOptions defaults() {
    return new MilterServerOptions(
        List.of(ListenAddress.parse("inet:127.0.0.1:8894")),
        List.of(CidrRange.parse("127.0.0.0/8"), CidrRange.parse("::1/128")),
        DEFAULT_MAX_FRAME_BYTES, Duration.ofMinutes(5), 1000, "0660", Optional.empty());
  }

  /** How long a frame may take to arrive whole: the idle timeout, at most {@link #MAX_FRAME_TIME}. */
  public Duration frameTimeout() {
    return idleTimeout.compareTo(MAX_FRAME_TIME) < 0 ? idleTimeout : MAX_FRAME_TIME;
  }

  public MilterServerOptions withListeners(List<ListenAddress> value) {
    return new MilterServerOptions(value, allowFrom, maxFrameBytes, idleTimeout, maxConnections, unixSocketMode,
        unixSocketGroup, maxMacrosPerStage, maxMacroBytes, progressInterval);
  }

  public MilterServerOptions withAllowFrom(List<CidrRange> value) {
    return new MilterServerOptions(listeners, value, maxFrameBytes, idleTimeout, maxConnections, unixSocketMode,
        unixSocketGroup, maxMacrosPerStage, maxMacroBytes, progressInterval);
  }

  public MilterServerOptions withMaxFrameBytes(int value) {
    return new MilterServerOptions(listeners, allowFrom, value, idleTimeout, maxConnections, unixSocketMode,
        unixSocketGroup, maxMacrosPerStage, maxMacroBytes, progressInterval);
  }

  public MilterServerOptions withIdleTimeout(Duration value) {
    return new MilterServerOptions(listeners, allowFrom, maxFrameBytes, value, maxConnections, unixSocketMode,
        unixSocketGroup, maxMacrosPerStage, maxMacroBytes, progressInterval);
  }

  public MilterServerOptions withMaxConnections(int value) {
    return new MilterServerOptions(listeners, allowFrom, maxFrameBytes, idleTimeout, value, unixSocketMode,
        unixSocketGroup, maxMacrosPerStage, maxMacroBytes, progressInterval);
  }

  public MilterServerOptions withUnixSocket(String mode, Optional<String> group) {
    return new MilterServerOptions(listeners, allowFrom, maxFrameBytes, idleTimeout, maxConnections, mode,
        group, maxMacrosPerStage, maxMacroBytes, progressInterval);
  }

  public MilterServerOptions withMacroLimits(int perStage, int totalBytes) {
    return new MilterServerOptions(listeners, allowFrom, maxFrameBytes, idleTimeout, maxConnections, unixSocketMode,
        unixSocketGroup, perStage, totalBytes, progressInterval);
  }

  public MilterServerOptions withProgressInterval(Duration value) {
    return new MilterServerOptions(listeners, allowFrom, maxFrameBytes, idleTimeout, maxConnections, unixSocketMode,
        unixSocketGroup, maxMacrosPerStage, maxMacroBytes, value);
  }
}
