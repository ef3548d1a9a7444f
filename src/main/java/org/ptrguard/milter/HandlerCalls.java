package org.ptrguard.milter;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** Calling a handler: whatever it does (throws, returns null), the session gets a stage to wait on. */
final class HandlerCalls {
  private HandlerCalls() {}

  /** The handler's stage; a failed one when the handler threw or returned no stage. */
  static <T> CompletionStage<T> safely(Supplier<? extends CompletionStage<T>> call) {
    try {
      CompletionStage<T> stage = call.get();
      return stage != null ? stage : CompletableFuture.failedFuture(new NullPointerException("handler returned null"));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The handler's own exception, without the wrappers a completion stage puts around it. */
  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
