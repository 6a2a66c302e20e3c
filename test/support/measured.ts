import { spawn } from 'node:child_process';

/** A finished process as GNU time saw it. */
export interface Measured {
  /** Its exit code: failing is often what is measured. */
  code: number;
  /** Wall seconds, from here. */
  seconds: number;
  /** User + system CPU seconds of the process and its children. */
  cpu: number;
  /** Peak resident set size (VmHWM) of the process. */
  rssMiB: number;
  stdout: string;
  /** Its own standard error, without GNU time's line. */
  stderr: string;
  /** Each line of its standard error with the seconds from the start at which it arrived: where a step's time went. */
  stderrLines: Array<{ seconds: number; text: string }>;
}

/** Runs `cmd` under GNU time (/usr/bin/time) and resolves whatever its exit code: its wall time, CPU time and peak RSS. */
export function measured(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '@@ %U %S %M', cmd, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const stderrLines: Measured['stderrLines'] = [];
    let partial = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const text of lines) stderrLines.push({ seconds, text });
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const m = /@@ ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(stderr);
      if (!m) return reject(new Error(`no measurement from GNU time (is it installed?): ${stderr.slice(-500)}`));
      resolve({ code: code ?? -1, seconds, cpu: Number(m[1]) + Number(m[2]), rssMiB: Number(m[3]) / 1024, stdout, stderr: stderr.slice(0, m.index), stderrLines });
    });
  });
}
