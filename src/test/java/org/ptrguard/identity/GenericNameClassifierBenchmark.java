package org.ptrguard.identity;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/** The generic-name classifier over the labelled test list (provider-default and custom PTR names). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GenericNameClassifierBenchmark {
  private record Sample(String name, InetAddress ip) {}

  private final List<Sample> samples = new ArrayList<>();
  private GenericNameClassifier classifier;
  private int next;

  @Setup
  public void load() throws IOException {
    classifier = GenericNameClassifier.standard();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        GenericNameClassifierBenchmark.class.getResourceAsStream("generic-names.tsv"), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t");
        samples.add(new Sample(f[0], InetAddress.getByName(f[1])));
      }
    }
  }

  /** One classification, cycling through the list (so the JIT sees the whole mix of shapes). */
  @Benchmark
  public void classifyOne(Blackhole bh) {
    Sample s = samples.get(next);
    next = next + 1 == samples.size() ? 0 : next + 1;
    bh.consume(classifier.classify(s.name(), s.ip()));
  }
}
