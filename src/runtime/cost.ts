/**
 * What a command cost the user, measured whole: the wall time since the process
 * started and the process's peak resident memory (getrusage, which counts every
 * thread), beside which a report puts the search's own seconds.
 */

export interface CommandCost {
  /** Seconds since the process started, up to this report. */
  readonly wallSeconds: number;
  /** The process's largest resident size so far (MiB). */
  readonly peakMemoryMiB: number;
}

export function commandCost(): CommandCost {
  return {
    wallSeconds: Math.round(process.uptime() * 1000) / 1000,
    peakMemoryMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** "0.72 s wall, 104 MiB peak memory", the line's words. */
export function costText(c: CommandCost): string {
  return `${c.wallSeconds.toFixed(2)} s wall, ${c.peakMemoryMiB.toLocaleString("en-US")} MiB peak memory (the whole command, up to this report)`;
}

/** The cost line a command without a report of its own (trace, compare and review's tables) writes
 * on stderr when that is a terminal, as progress is: their output stays the same run to run. */
export function costNote(isTerminal: boolean, what: string): void {
  if (isTerminal) process.stderr.write(`conntrack-mc: ${what}; ${costText(commandCost())}\n`);
}
