// Preloaded with `node --import` into a process a bench measures: prints the process's own peak
// resident set size and CPU time when it exits (`BENCH_PEAK_RSS_KB=<n> BENCH_CPU_MS=<n>` on
// stderr), and with
// BENCH_RSS_EVERY_MS=<ms> also its RSS and heap every so often, to see which phase grows.
import { performance } from 'node:perf_hooks';

const every = Number(process.env.BENCH_RSS_EVERY_MS ?? 0);
if (every > 0) {
  const timer = setInterval(() => {
    // With --expose-gc, what is live rather than what the collector has not reached yet.
    globalThis.gc?.();
    const m = process.memoryUsage();
    process.stderr.write(
      `BENCH_RSS t=${(performance.now() / 1000).toFixed(1)}s rss=${Math.round(m.rss / 1e6)}MB heap=${Math.round(m.heapUsed / 1e6)}MB\n`,
    );
  }, every);
  timer.unref();
}
process.on('exit', () => {
  const r = process.resourceUsage();
  const cpu_ms = Math.round((r.userCPUTime + r.systemCPUTime) / 1000);
  process.stderr.write(`BENCH_PEAK_RSS_KB=${r.maxRSS} BENCH_CPU_MS=${cpu_ms}\n`);
});
