package org.ptrguard.monitor;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where the guard gets identity verdicts. Implementations keep them warm in the background, so
 * {@link #peek} answers from memory; {@link #status} is only waited on while an identity is cold.
 */
public interface IdentityStatusSource {
  /** The current status, if any check of this identity has completed. Never blocks. */
  Optional<IdentityStatus> peek(String identity);

  /** The status once the first check has completed (at once when warm). Never fails. */
  CompletionStage<IdentityStatus> status(String identity);
}
