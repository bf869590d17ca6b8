/** `conntrack-mc diagnose [--kernel K] [--conntrack-stats FILE]... [--resolv-conf FILE] [--endpoints N] [--nodelocaldns]
 * [--proxy M] [--json] [--html FILE]`: the node's facts, given or read on it (node/read.ts), to app/diagnose.ts. */
import { closeSync, openSync, readSync } from "node:fs";
import { diagnose, type NodeFacts, type Proxy } from "../app/diagnose.js";
import { exitCode } from "../app/check.js";
import { InputError } from "../errors.js";
import { nodeKernel, nodeLocalDnsInterface, nodeResolvConf, nodeStatsText, RESOLV_CONF } from "../node/read.js";
import { parseResolvConf } from "../node/resolv.js";
import { parseStats } from "../node/stats.js";
import { renderDiagnosis } from "../report/diagnose.js";
import { renderDiagnosisPage } from "../report/diagnose-page.js";
import { oneOf, parse, positiveInt } from "./args.js";
import { patchSet, refuseSpaces, SEARCH_FLAGS, searchSettings } from "./common.js";
import { clearProgress, paint } from "./format.js";
import { checkOutName, emit, refuseInputAsOutput } from "./output.js";
import { stopRequested } from "../runtime/control.js";
import { outputWidth } from "../report/width.js";
import { DIAGNOSE_USAGE } from "./usage.js";

export async function diagnoseCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    kernel: { type: "string", short: "k" },
    "conntrack-stats": { type: "string", multiple: true },
    "resolv-conf": { type: "string" },
    endpoints: { type: "string" },
    nodelocaldns: { type: "boolean" },
    proxy: { type: "string" },
    json: { type: "boolean" },
    html: { type: "string" },
    ...SEARCH_FLAGS,
  }, DIAGNOSE_USAGE);
  if (positionals.length) throw new InputError(`diagnose: unexpected argument '${positionals[0]}': the setting is given with flags`);
  checkOutName(values.html, "--html");
  refuseInputAsOutput(values.html, "--html", [...(values["conntrack-stats"] ?? []), ...(values["resolv-conf"] !== undefined ? [values["resolv-conf"]] : []), ...(values.patch ?? [])]);
  const facts = nodeFacts(values);
  const patches = await patchSet(values.patch);
  const settings = searchSettings(values);
  const d = diagnose(facts, { ...settings.options, patches });
  clearProgress();
  if (values.json) process.stdout.write(JSON.stringify(d, null, 2) + "\n");
  else process.stdout.write(renderDiagnosis(d, paint(), outputWidth()));
  if (values.html !== undefined) emit(renderDiagnosisPage(d), values.html, "--html");
  // A signal that stopped a search ends the command with its own code, as check's does.
  return exitCode(d.verdict, stopRequested() ? "interrupted" : undefined);
}

interface FactFlags {
  kernel?: string | undefined;
  "conntrack-stats"?: string[] | undefined;
  "resolv-conf"?: string | undefined;
  endpoints?: string | undefined;
  nodelocaldns?: boolean | undefined;
  proxy?: string | undefined;
}

/** Given facts, or the node's own: with --kernel nothing of this machine is read (the facts are another node's). */
function nodeFacts(values: FactFlags): NodeFacts {
  const onNode = values.kernel === undefined;
  if (values.kernel === "") throw new InputError("--kernel: expected a kernel release such as 5.15.0-91-generic or v6.6, got ''");
  refuseSpaces(values.kernel, "--kernel");
  const files = values["conntrack-stats"] ?? [];
  if (files.length > 2) throw new InputError(`--conntrack-stats: expected one reading, or two (before and after), got ${files.length}`);
  const readings = files.map((f) => parseStats(readInput(f, "--conntrack-stats"), shown(f)));
  const nodeStats = files.length === 0 && onNode ? nodeStatsText() : undefined;
  const stats = files.length ? { source: files.map(shown).join(" then "), readings } : nodeStats ? { source: nodeStats.source, readings: [parseStats(nodeStats.text, nodeStats.source)] } : undefined;
  const resolvText = values["resolv-conf"] !== undefined ? readInput(values["resolv-conf"], "--resolv-conf") : onNode ? nodeResolvConf() : undefined;
  const resolvSource = values["resolv-conf"] !== undefined ? shown(values["resolv-conf"]) : RESOLV_CONF;
  const endpoints = positiveInt(values.endpoints, "--endpoints");
  if (endpoints !== undefined && endpoints > 64) throw new InputError(`--endpoints: expected the number of DNS endpoints, 1 to 64, got ${endpoints}`);
  const kernel = onNode ? { ...nodeKernel(), source: "uname -r" } : { release: values.kernel!, source: "--kernel" };
  return {
    kernel: { text: kernel.release, source: kernel.source, ...("versionSignature" in kernel && kernel.versionSignature !== undefined ? { versionSignature: kernel.versionSignature } : {}), ...("procVersion" in kernel && kernel.procVersion !== undefined ? { procVersion: kernel.procVersion } : {}) },
    ...(stats ? { stats } : {}),
    ...(resolvText !== undefined ? { resolv: { source: resolvSource, conf: parseResolvConf(resolvText), fromNode: values["resolv-conf"] === undefined } } : {}),
    ...(endpoints !== undefined ? { endpoints } : {}),
    ...(values.nodelocaldns ? { nodelocaldns: "--nodelocaldns" } : onNode && nodeLocalDnsInterface() ? { nodelocaldns: "this node's nodelocaldns interface" } : {}),
    ...(values.proxy !== undefined ? { proxy: oneOf<Proxy>(values.proxy, "--proxy", ["iptables", "ipvs", "nftables"], "iptables") } : {}),
  };
}

/** "-" is standard input, and says so in messages. */
const shown = (file: string): string => (file === "-" ? "stdin" : file);

/** The most of an input file read: a counters reading or a resolv.conf is a few KiB. */
const MAX_INPUT = 1 << 20;

/** The file's text, refused past MAX_INPUT without reading further (a device or a huge file is not read whole). */
function readInput(file: string, flag: string): string {
  let fd: number | undefined;
  try {
    fd = file === "-" ? 0 : openSync(file, "r");
    const buf = Buffer.alloc(MAX_INPUT + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n <= MAX_INPUT; n += got) got = readSync(fd, buf, n, MAX_INPUT + 1 - n, null);
    if (n > MAX_INPUT) throw new InputError(`${flag} ${shown(file)}: larger than 1 MiB: expected the output of one command or one small file`);
    return buf.subarray(0, n).toString("utf8");
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? "unreadable";
    throw new InputError(`${flag} ${shown(file)}: cannot read it (${code})`);
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd);
  }
}
