/**
 * The state every checkpoint test checks: a shell loop counting every 50 ms. The value goes to stdout and to
 * /tmp/count, a symlink swapped by rename to the file just written (c0 or c1, in turn), so a reader never sees a
 * half-written value. The files the loop writes are never renamed or resized (fixed width): with --leave-running,
 * podman takes the rootfs diff after the container runs on, and a file held open at the checkpoint that was gone
 * or changed in size by then would fail the restore (CRIU: "Can't open file tmp/count.new on restore").
 */
export const COUNTER_SCRIPT =
  'i=0; while true; do i=$((i+1)); f=c$((i%2)); printf "%010d\\n" $i > /tmp/$f; ln -s $f /tmp/count.link; mv /tmp/count.link /tmp/count; echo $i; sleep 0.05; done';

/** Parses what `cat /tmp/count` printed; NaN (not 0) for anything else, so a bad read never passes as a value. */
export function counterValue(text: string): number {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}
