/**
 * Text made safe to print to a terminal or a log file that someone will `cat`: every character that would act
 * instead of show is written as an escape, so a hostile annotation, path or registry message cannot erase lines
 * (ESC [2K), move the cursor, plant a hyperlink (OSC 8), ring the bell, or reorder what is shown (bidi overrides),
 * and the reader still sees what it tried.
 *
 * Escaped: C0 controls except tab and newline (a carriage return only when it does not end a line: CRLF is
 * harmless), DEL, C1 controls (U+0080–U+009F, which some terminals take as ESC-sequences: U+009B is CSI), and the
 * bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
 * Everything is written as \uXXXX, the notation JSON uses: JSON output stays valid and means the same text, and
 * the text output matches what `--json` shows. Backslashes are left alone, so the function is idempotent.
 */
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Text from a checkpoint, a registry or podman made safe for a VS Code notification, which renders
 * `[label](link)` as a link (`command:` links run commands): escaped as for a terminal, and every `](` broken
 * with a zero-width space, so it shows as written and links nowhere.
 */
export function notificationSafe(text: string): string {
  return terminalSafe(text).replaceAll('](', ']\u200b(');
}
