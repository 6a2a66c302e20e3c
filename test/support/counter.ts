/**
 * The state every checkpoint test checks: a shell loop counting every 50 ms. The value goes to stdout and,
 * through a rename so a reader never sees a half-written file, to /tmp/count.
 */
export const COUNTER_SCRIPT =
  'i=0; while true; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; echo $i; sleep 0.05; done';

/** Parses what `cat /tmp/count` printed; NaN (not 0) for anything else, so a bad read never passes as a value. */
export function counterValue(text: string): number {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}
