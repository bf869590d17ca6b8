/** `conntrack-mc live <scenario> [--tries N] [--sendmmsg] [--json]` */
import { livePrediction } from "../app/live.js";
import { InputError } from "../errors.js";
import { counterKey } from "../kernel/properties/outcomes.js";
import { LiveUnavailable } from "../live/host.js";
import { runLive, type LiveReport } from "../live/run.js";
import { runControl } from "../live/control.js";
import { teardownAll } from "../live/topology.js";
import { parse, positiveInt } from "./args.js";
import { loadScenario } from "./common.js";
import { paint } from "./format.js";
import { table, type Paint } from "../report/text.js";
import { LIVE_USAGE } from "./usage.js";

export async function liveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    tries: { type: "string" },
    sendmmsg: { type: "boolean" },
    json: { type: "boolean" },
  }, LIVE_USAGE);
  if (positionals.length !== 1) throw new InputError("scenario: expected exactly one scenario name or file", { usage: LIVE_USAGE });
  const sc = loadScenario(positionals[0]!);
  const tries = positiveInt(values.tries, "--tries") ?? 2000;
  if (tries > 1_000_000) throw new InputError(`--tries: expected at most 1000000, got ${tries}`);
  // Interrupted: remove the namespaces before leaving.
  const signals: [NodeJS.Signals, number][] = [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]];
  const handlers = signals.map(([sig, code]) => {
    const h = (): void => {
      teardownAll();
      process.stderr.write(`conntrack-mc: live: interrupted (${sig}); namespaces removed\n`);
      process.exit(code);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  try {
    // A control plane's scenario runs as a stream beside the program (live/control.ts).
    const report = await (sc.control.length ? runControl : runLive)(sc, { tries, sendmmsg: values.sendmmsg ?? false }, livePrediction);
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + "\n" : renderLive(report, paint()));
    return report.agree ? 0 : 1;
  } catch (e) {
    if (e instanceof LiveUnavailable) throw new InputError(e.message.replace(/^live: /, "live: "));
    throw e;
  } finally {
    for (const [sig, h] of handlers) process.off(sig, h);
  }
}

/** The live run beside the model, as text (here, not in report/: a live report is live/'s, which report/ does not read). */
export function renderLive(r: LiveReport, colours: Paint): string {
  const how =
    r.pattern === "sendmmsg" ? "one thread, one sendmmsg()" : r.pattern === "stream" ? "a one-way stream from one socket while the control plane runs its program" : r.pattern === "sequence" ? `one socket, each of ${r.cpus.length} packets once the one before was answered` : `${r.cpus.length} threads pinned to CPUs ${r.cpus.join(",")}`;
  const seen = (o: LiveReport["outcomes"][number]): string =>
    o.seenIn === null ? "not observable here" : o.seenIn === 0 ? "not seen" : `seen in ${o.seenIn} of ${r.tries} tries (${((100 * o.seenIn) / r.tries).toFixed(1)} %)`;
  const share = (o: LiveReport["outcomes"][number]): string => (o.share === undefined ? "" : o.share.toFixed(4));
  const lines = [
    `live ${r.scenario}: ${r.tries} tries on Linux ${r.uname}, ${how}; model: ${r.variant}`,
    "",
    table([
      ["outcome", `model (${r.variant})`, "share of schedules", "kernel", ""],
      ...r.outcomes.map((o) => [o.outcome, o.model, share(o), seen(o), o.agree ? colours.green("agree") : colours.red("DISAGREE")]),
    ]),
    "",
    ...(r.outcomes.some((o) => o.share !== undefined)
      ? [
          "share of schedules: the model's weight of the interleavings that show it when every enabled step is equally",
          "likely (a uniform scheduler); not a rate of failed lookups: the kernel column is the rate measured here",
          "",
        ]
      : []),
    ...(r.queue
      ? [`NFQUEUE program: verdicts on ${r.queue.packets} packets; ${r.queue.fifo} batches in queue order, ${r.queue.reversed} reversed (batches of one packet not counted)`, ""]
      : []),
    `queries sent: ${r.sent}; received by ${r.received.length ? r.received.map((x) => `${x.at} ${x.queries}`).join(", ") : "(not counted: the kernel answers itself, or TCP)"}; answers back at the client: ${r.replies ?? (r.pattern === "stream" ? "(not read: a one-way stream)" : "(not counted for TCP)")}`,
    "",
    "counters one run leaves (insert_failed/drop/clash_resolve)",
    `  model:  ${r.modelCounters.map(counterKey).join(", ")}`,
    `  kernel: ${r.kernelCounters.map((c) => `${counterKey(c.counters)} in ${c.tries} tries${c.inModel ? "" : colours.red(" (not a run the model allows)")}`).join(", ")}`,
    "",
    r.agree
      ? "the kernel agrees with the model (an outcome the model calls reachable may go unseen: stress cannot force a race)"
      : colours.red("DISAGREEMENT: the kernel showed what the model calls unreachable"),
    "",
  ];
  return lines.join("\n");
}
