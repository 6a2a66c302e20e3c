import type { CopyProgress } from '../../engine/index.js';
import { formatSize } from '../../shared/format.js';

/** Speed is measured over this much recent time, so a stall or a skipped blob fades out of it. */
const WINDOW_MS = 3000;
/** A notification redrawn more often than this only flickers. */
const THROTTLE_MS = 250;

/**
 * Turns the engine's copy progress into lines like "blob sha256:ab12… — 120 MB of 1.0 GB, 85 MB/s" for a
 * progress notification: a new stage shows at once, byte counts at most every THROTTLE_MS.
 */
export function transferReporter(report: (message: string) => void, now: () => number = Date.now): (p: CopyProgress) => void {
  const samples: Array<{ at: number; bytes: number }> = [];
  let stage = '';
  let shownAt = 0;
  return (p) => {
    const at = now();
    samples.push({ at, bytes: p.bytes });
    while (samples.length > 2 && at - samples[0]!.at > WINDOW_MS) samples.shift();
    if (p.stage === stage && at - shownAt < THROTTLE_MS) return;
    stage = p.stage;
    shownAt = at;
    const first = samples[0]!;
    const seconds = (at - first.at) / 1000;
    report(describeTransfer(p, seconds >= 0.5 ? (p.bytes - first.bytes) / seconds : undefined));
  };
}

/** One progress line: the stage, then bytes and speed when they are known. */
export function describeTransfer(p: CopyProgress, bytesPerSecond?: number): string {
  if (!p.totalBytes) return p.stage;
  const speed = bytesPerSecond && bytesPerSecond > 0 ? `, ${formatSize(Math.round(bytesPerSecond))}/s` : '';
  return `${p.stage} — ${formatSize(p.bytes)} of ${formatSize(p.totalBytes)}${speed}`;
}
