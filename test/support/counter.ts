/**
 * The state every checkpoint test checks: a shell loop counting every 50 ms. The value goes to stdout and to
 * /tmp/count, a symlink swapped by rename to the file just written (c0 or c1, in turn), so a reader never sees a
 * half-written value. The files the loop writes are never renamed or resized: fixed width, made before the loop and
 * overwritten in place (`1<>`, where `>` would truncate them first). With --leave-running, podman takes the rootfs
 * diff after the container runs on, and a file held open at the checkpoint that was gone or of another size by
 * then fails the restore (CRIU: "Can't open file tmp/count.new on restore", "File tmp/c0 has bad size 11 (expect 0)").
 */
export const COUNTER_SCRIPT =
  'printf "%010d\\n" 0 > /tmp/c0; printf "%010d\\n" 0 > /tmp/c1; i=0; while true; do i=$((i+1)); f=c$((i%2)); printf "%010d\\n" $i 1<> /tmp/$f; ln -s $f /tmp/count.link; mv /tmp/count.link /tmp/count; echo $i; sleep 0.05; done';

/** Parses what `cat /tmp/count` printed; NaN (not 0) for anything else, so a bad read never passes as a value. */
export function counterValue(text: string): number {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}
