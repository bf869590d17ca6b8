/**
 * `diagnose`: an SRE's question ("why do my pods see 5 s DNS timeouts?") answered for one node (docs/sre.md).
 * From the node's facts (its kernel, conntrack's counters, resolv.conf, the DNS endpoints, NodeLocal DNSCache,
 * kube-proxy's mode) it picks the built-in scenarios of that setting, searches each on the kernel the node runs,
 * and for every violation found says whether the node's counters are consistent with it (from the counters its
 * counterexample raises), which later release no longer shows it, and which mitigations hold on this kernel.
 * Every verdict here is a search's; the choice of scenarios is the only rule written down.
 */
import type { SearchResult } from "../engine/search.js";
import { RunOutcomes, type Counters } from "../kernel/properties/outcomes.js";
import type { KState } from "../kernel/net/state.js";
import { classMeaning } from "../kernel/properties/properties.js";
import { parseDistroKernel, stableFromNode } from "../kernel/distro.js";
import type { Kernel } from "../kernel/kernel.js";
import { RELEASES, resolveKernel } from "../kernel/variants.js";
import { CANDIDATE, compareVersions, formatVersion, NEWEST, parseVersion } from "../kernel/versions.js";
import type { Patch } from "../kernel/patch.js";
import { COUNTER_NAMES, risen, type CounterName, type NodeCounters } from "../node/stats.js";
import type { ResolvConf } from "../node/resolv.js";
import { resolveScenario } from "../scenario/registry.js";
import { mitigationResults, type MitigationResult } from "./mitigations.js";
import type { Scenario } from "../scenario/scenario.js";
import { checkReport, counterexample, runCheck, type CheckOptions, type CheckRun } from "./check.js";

export type Proxy = "iptables" | "ipvs" | "nftables";

/** What is known of the node: given on the command line or read on it (node/read.ts). */
export interface NodeFacts {
  /** The kernel release string and where it came from ("--kernel" or "uname -r"). */
  readonly kernel: { readonly text: string; readonly source: string; readonly versionSignature?: string; readonly procVersion?: string };
  /** One reading (totals since boot) or two (what rose between them). */
  readonly stats?: { readonly source: string; readonly readings: readonly NodeCounters[] };
  readonly resolv?: { readonly source: string; readonly conf: ResolvConf; readonly fromNode: boolean };
  readonly endpoints?: number;
  /** What says NodeLocal DNSCache is in effect (the flag, or its interface on the node); absent: nothing does. */
  readonly nodelocaldns?: string;
  readonly proxy?: Proxy;
}

export interface KernelAnswer {
  readonly given: string;
  readonly source: string;
  /** The variant searched: a release, or a stable release with its line's backports. */
  readonly modelled: string;
  readonly distro?: string;
  /** What is not known about this kernel, in sentences. */
  readonly uncertain: readonly string[];
}

export interface Setting {
  readonly endpoints: number;
  readonly endpointsAssumed: boolean;
  readonly proxy: Proxy;
  readonly proxyAssumed: boolean;
  /** How the resolver sends A and AAAA: at once (glibc's default), or one of the resolv.conf options. */
  readonly resolver: "parallel" | "single-request" | "single-request-reopen" | "tcp";
  readonly nodelocaldns: boolean;
  /** Where each fact came from, and what is assumed, in sentences. */
  readonly notes: readonly string[];
}

export type Consistency = "consistent" | "not-shown" | "no-counter" | "not-in-reading" | "not-read";

export interface Finding {
  readonly scenario: string;
  readonly description: string;
  readonly class: string;
  readonly property: string;
  readonly meaning: string;
  readonly states: number;
  /** The counters the counterexample raises, summed over CPUs (the ones above zero). */
  readonly raises: Partial<Record<CounterName, number>>;
  readonly consistency: Consistency;
  /** The first later release that no longer shows the class, and what it adds, where the newest release does not
   * show it either; null: the newest still does. */
  readonly fixedIn: { readonly release: string; readonly adds: readonly string[] } | null;
  /** A command that prints the counterexample. */
  readonly trace: string;
}

export interface ScenarioAnswer {
  readonly scenario: string;
  readonly description: string;
  readonly verdict: SearchResult["verdict"];
  readonly complete: boolean;
  readonly states: number;
  readonly findings: readonly Finding[];
  /** Counter totals a finished run can leave (conntrack -S), as compare shows them. */
  readonly counters: readonly Counters[];
  /** Some run resolves a clash: the race happens and no packet is lost to it. */
  readonly clashResolved: boolean;
}

export interface MitigationAnswer extends MitigationResult {
  /** The node's setting applies it (its resolv.conf option, or NodeLocal DNSCache). */
  readonly inEffect: boolean;
}

export interface Diagnosis {
  readonly kernel: KernelAnswer;
  readonly setting: Setting;
  readonly counters?: { readonly source: string; readonly since: "boot" | "between the readings"; readonly risen: NodeCounters };
  /** The A/AAAA race without a mitigation, on this kernel. */
  readonly race: ScenarioAnswer;
  /** The node's own setting, where a mitigation is in effect (else the race itself). */
  readonly yours: ScenarioAnswer;
  readonly mitigations: readonly MitigationAnswer[];
  /** Other ways a DNS query or its reply is lost on this kernel, each under its own condition; none where
   * NodeLocal DNSCache leaves pods' queries untracked. */
  readonly others: readonly ScenarioAnswer[];
  /** The node's own setting: the A/AAAA race after the mitigation in effect (check's verdict and exit code). */
  readonly verdict: SearchResult["verdict"];
  /** A command that measures the race on the running kernel. */
  readonly live: string;
}

/** Other scenarios of a DNS setting, and when each applies (endpoints: the fewest it needs). */
const OTHERS: readonly { readonly scenario: string; readonly endpoints: number }[] = [
  { scenario: "dns-3-packets", endpoints: 2 },
  { scenario: "nat-clash-reply-late", endpoints: 2 },
  { scenario: "nat-clash-early-drop", endpoints: 2 },
  { scenario: "dns-table-full", endpoints: 1 },
  { scenario: "dying-winner", endpoints: 1 },
  { scenario: "dnat-entry-deleted", endpoints: 1 },
  { scenario: "lookup-reaps-expired", endpoints: 1 },
  { scenario: "dns-long-chains", endpoints: 1 },
];

export function kernelAnswer(facts: NodeFacts, patches?: readonly Patch[]): { answer: KernelAnswer; kernel: Kernel } {
  const { text, source } = facts.kernel;
  const distro = parseDistroKernel(text.split("+")[0]!);
  const fromNode = distro ? stableFromNode(facts.kernel.versionSignature, facts.kernel.procVersion) : undefined;
  const uncertain: string[] = [];
  let name = text;
  if (fromNode && distro && fromNode.major === distro.version.major && fromNode.minor === distro.version.minor) {
    name = formatVersion(fromNode);
    uncertain.push(`${distro.distro} says it is built on ${name}: modelled with the stable backports known for ${name} (${distro.distro}'s own patches are not known)`);
  } else if (distro) {
    uncertain.push(distro.uncertain);
  }
  const kernel = resolveKernel(name, source === "--kernel" ? "--kernel" : `the node's kernel (${source})`, patches);
  if (kernel.name.split("+")[0] === CANDIDATE) uncertain.push(`${CANDIDATE} is in release candidates: its merge window as known, no release yet`);
  return { answer: { given: text, source, modelled: kernel.name, ...(distro ? { distro: distro.distro } : {}), uncertain }, kernel };
}

export function settingOf(facts: NodeFacts): Setting {
  const notes: string[] = [];
  const conf = facts.resolv?.conf;
  const options = conf?.useVc ? "tcp" : conf?.singleRequestReopen ? "single-request-reopen" : conf?.singleRequest ? "single-request" : "parallel";
  // The node's own resolv.conf is not its pods': kubelet writes theirs (dnsPolicy ClusterFirst) without the host's options.
  const fromNode = facts.resolv?.fromNode === true;
  const resolver = fromNode ? "parallel" : options;
  if (!facts.resolv) notes.push("no resolv.conf read: glibc's default assumed (A and AAAA at once from one socket); --resolv-conf FILE gives a pod's");
  else if (fromNode) notes.push(`${facts.resolv.source} is the node's own, not its pods'${options !== "parallel" ? ` (its options ${options === "tcp" ? "use-vc" : options} are not applied)` : ""}: give a pod's with --resolv-conf FILE (kubectl exec POD -- cat /etc/resolv.conf)`);
  if (!fromNode && conf && resolver !== "parallel") notes.push(`resolv.conf options: ${resolver === "tcp" ? "use-vc (the queries go over TCP: the UDP race below is not theirs, and TCP is not modelled here)" : resolver} (glibc; musl ignores it)`);
  const nodelocaldns = facts.nodelocaldns !== undefined || Boolean(conf?.nodeLocal && !fromNode);
  if (facts.nodelocaldns !== undefined && facts.nodelocaldns !== "--nodelocaldns") notes.push(`NodeLocal DNSCache taken as in effect: ${facts.nodelocaldns} exists`);
  else if (conf?.nodeLocal && !fromNode && facts.nodelocaldns === undefined) notes.push("the nameserver is NodeLocal DNSCache's address: taken as in effect");
  if (facts.endpoints === undefined) notes.push("DNS endpoints assumed 2 (CoreDNS's default replicas): --endpoints N");
  const proxy = facts.proxy ?? "iptables";
  if (facts.proxy === undefined) notes.push("kube-proxy mode assumed iptables (a random endpoint per packet): --proxy iptables|ipvs|nftables");
  if (proxy === "ipvs") notes.push("IPVS picks endpoints in its own connection table, which is not modelled: taken as iptables' random pick (an over-approximation)");
  if (proxy === "nftables") notes.push("nftables mode picks with numgen random: the same as iptables' random pick");
  return { endpoints: facts.endpoints ?? 2, endpointsAssumed: facts.endpoints === undefined, proxy, proxyAssumed: facts.proxy === undefined, resolver, nodelocaldns, notes };
}

export interface DiagnoseOptions extends CheckOptions {
  readonly patches?: readonly Patch[];
}

export function diagnose(facts: NodeFacts, opts: DiagnoseOptions = {}): Diagnosis {
  const { patches, ...given } = opts;
  // --max-seconds bounds the whole diagnosis: each search gets what is left of it (a search with none left stops at
  // once and is printed as not decided).
  const deadline = given.maxSeconds !== undefined ? Date.now() + given.maxSeconds * 1000 : undefined;
  const search = (): CheckOptions => (deadline === undefined ? given : { ...given, maxSeconds: Math.max(0.001, (deadline - Date.now()) / 1000) });
  const { answer: kernelWords, kernel } = kernelAnswer(facts, patches);
  const setting = settingOf(facts);
  const counters = facts.stats ? countersOf(facts.stats) : undefined;
  const ctx: Ctx = { kernel, search, risen: counters?.risen, patches, found: new Map() };
  const raceName = setting.endpoints >= 2 ? "dns-a-aaaa-2-endpoints" : "dns-a-aaaa";
  const race = answerFor(resolveScenario(raceName), ctx);
  const mitigations = mitigationResults(raceName, kernel, search).map((m) => ({ ...m, inEffect: inEffect(m, setting) }));
  const current = mitigations.find((m) => m.inEffect);
  const yours = current ? answerFor(resolveScenario(current.scenario), ctx) : race;
  const others = setting.nodelocaldns || setting.resolver === "tcp" ? [] : OTHERS.filter((o) => setting.endpoints >= o.endpoints).map((o) => answerFor(resolveScenario(o.scenario), ctx));
  // The node's verdict is its own setting's: the others are losses under conditions the node may not have.
  const verdict = yours.verdict;
  return {
    kernel: kernelWords,
    setting,
    ...(counters ? { counters } : {}),
    race,
    yours,
    mitigations,
    others,
    verdict,
    live: `conntrack-mc live ${yours.scenario} --tries 2000   (as root on the node: the race's rate on the running kernel)`,
  };
}

interface Ctx {
  readonly kernel: Kernel;
  /** The search options for the next search (its share of --max-seconds). */
  readonly search: () => CheckOptions;
  readonly risen: NodeCounters | undefined;
  readonly patches: readonly Patch[] | undefined;
  /** Each later release's search of a scenario, once: the classes it found and whether it finished. */
  readonly found: Map<string, { readonly classes: ReadonlySet<string>; readonly complete: boolean }>;
}

function countersOf(stats: NonNullable<NodeFacts["stats"]>): NonNullable<Diagnosis["counters"]> {
  const [first, second] = stats.readings;
  return second ? { source: stats.source, since: "between the readings", risen: risen(first, second) } : { source: stats.source, since: "boot", risen: risen(undefined, first!) };
}

/** One scenario on the node's kernel: each class with its counters, consistency and the release that fixes it. */
function answerFor(sc: Scenario, ctx: Ctx): ScenarioAnswer {
  const outcomes = new RunOutcomes(sc.conntrackMax > 0, sc.chains !== undefined);
  const run = runCheck(sc, ctx.kernel, undefined, { ...ctx.search(), visit: outcomes.visit });
  const report = checkReport(run, { counterexample: false });
  const findings = report.drops.map((d): Finding => {
    const raises = raisedBy(run, d.class);
    return {
      scenario: sc.name,
      description: sc.description,
      class: d.class,
      property: d.property,
      meaning: classMeaning(d.class),
      states: d.states,
      raises,
      consistency: consistency(raises, ctx.risen),
      fixedIn: fixedIn(sc, d.class, ctx),
      trace: `conntrack-mc trace ${sc.name} --kernel ${ctx.kernel.name} --class ${d.class}`,
    };
  });
  return { scenario: sc.name, description: sc.description, verdict: report.verdict, complete: report.complete, states: report.states, findings, counters: outcomes.counterSets(), clashResolved: outcomes.clashResolved };
}

/** The counters the class's counterexample ends with above zero, summed over CPUs. */
function raisedBy(run: CheckRun, cls: string): Partial<Record<CounterName, number>> {
  const cx = counterexample(run, cls);
  const last: KState | undefined = cx?.path.states.at(-1);
  if (!last) return {};
  const sum = (f: (c: KState["stats"][number]) => number): number => last.stats.reduce((a, c) => a + f(c), 0);
  const all: Record<CounterName, number> = {
    insert_failed: sum((c) => c.insertFailed),
    drop: sum((c) => c.drop),
    clash_resolve: sum((c) => c.clashResolve),
    early_drop: sum((c) => c.earlyDrop),
    chaintoolong: sum((c) => c.chainTooLong),
  };
  return Object.fromEntries(COUNTER_NAMES.filter((n) => all[n] > 0).map((n) => [n, all[n]]));
}

/** Whether the node's counters rose where the counterexample raises them (a counter the node's text lacks is not judged). */
export function consistency(raises: Partial<Record<CounterName, number>>, node: NodeCounters | undefined): Consistency {
  if (!node) return "not-read";
  if (Object.keys(raises).length === 0) return "no-counter";
  const names = COUNTER_NAMES.filter((n) => raises[n] !== undefined && node[n] !== undefined);
  if (names.length === 0) return "not-in-reading";
  // All or nothing: before v5.10 insert_failed without drop is what a resolved clash leaves, evidence against a drop.
  return names.every((n) => node[n]! > 0) ? "consistent" : "not-shown";
}

/** The first release after the node's whose search of `sc` no longer finds `cls`, when the newest does not either. */
function fixedIn(sc: Scenario, cls: string, ctx: Ctx): Finding["fixedIn"] {
  const from = parseVersion(ctx.kernel.name.split("+")[0]!)!;
  const later = RELEASES.filter((r) => compareVersions(parseVersion(r.name)!, { major: from.major, minor: from.minor }) > 0);
  const shows = (name: string): boolean | undefined => {
    const key = `${sc.name} ${name}`;
    if (!ctx.found.has(key)) {
      const run = runCheck(sc, resolveKernel(name, "release", ctx.patches), undefined, ctx.search());
      ctx.found.set(key, { classes: new Set(run.result.violations.map((v) => v.name)), complete: run.result.complete });
    }
    const f = ctx.found.get(key)!;
    return f.classes.has(cls) ? true : f.complete ? false : undefined;
  };
  // Still there in the newest release: nothing fixes it. Else the release after the last one that shows it (a release
  // that hid it for a while is no fix); a search stopped early counts as showing it, so the fix named is never early.
  if (later.length === 0 || shows(NEWEST) !== false) return null;
  const last = later.map((r) => shows(r.name) !== false).lastIndexOf(true);
  const fix = later[last + 1];
  return fix ? { release: fix.name, adds: fix.adds } : null;
}

/** `setting`'s resolver option or NodeLocal DNSCache is this mitigation. */
function inEffect(m: MitigationResult, setting: Setting): boolean {
  return setting.nodelocaldns ? m.name === "nodelocaldns" : m.name === setting.resolver;
}
