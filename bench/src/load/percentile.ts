/** The q-quantile (nearest rank) of latencies in milliseconds, to 0.1 ms; 0 when there are none. */
export function percentileMs(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]! * 10) / 10;
}
