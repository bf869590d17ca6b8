/**
 * What a model of one scenario on one kernel has, worked out once and passed by name: which parts of the state
 * exist (the codec packs them), and for each reduction whether it applies and, when it does not, every reason
 * (docs/architecture.md, "Reductions"). The model decides with these; `check` explains with the same reasons, so
 * the two cannot disagree.
 */
import { hasSkbs, type Scenario } from "../scenario/scenario.js";
import type { Kernel } from "../kernel/kernel.js";
import { baseV46 } from "../kernel/base-v4.6.js";
import { isChooser } from "../kernel/choose.js";
import { PATCHES } from "../kernel/variants.js";

export interface Features {
  /** conntrack-max: the table is limited, early_drop may evict at S2. */
  readonly limited: boolean;
  /** The scenario has time: the clock, timeouts and the reapers. */
  readonly timed: boolean;
  /** Bucket chains at confirm (the chaintoolong counters). */
  readonly chains: boolean;
  /** Entries are recycled memory: slots, lockless readers, confirm's locks. */
  readonly recycle: boolean;
  /** A control plane (scenario `control`): its step, rule set and masks (KState.ctl ...). */
  readonly control: boolean;
  /** Packets leave softirq or are copied (scenario `nfqueue`, a packet's `segments` or `clones`): their queue places,
   * WARNs, stale uses and drop reasons (PacketState.nfq ...). */
  readonly skbs: boolean;
  /** Every packet in one zone (find_appropriate_src then cannot tell alike neighbours of nf_nat_bysource apart). */
  readonly oneZone: boolean;
  /** nf_nat_bysource is held up to the order no walk reads (packed.ts). */
  readonly bysourceView: boolean;
  /** A patch that is not built in is applied (its hooks may do what no built-in function does). */
  readonly userPatch: boolean;
  /** Why symmetry does not apply; empty when it does. */
  readonly noSymmetry: readonly string[];
  /** Why partial-order reduction has no local step; empty when it has. */
  readonly noPor: readonly string[];
}

/** Scenario settings under which symmetry cannot rename (`por` false), or POR has no private step (`por` true), each
 * worded for that reduction. */
function scenarioReasons(sc: Scenario, por: boolean): string[] {
  const r = (cond: boolean, forSymmetry: string, forPor: string | undefined): string => (cond ? (por ? (forPor ?? "") : forSymmetry) : "");
  return [
    r(sc.timed, "the scenario has time (the clock, timeouts and reapers are not renamed)", "the scenario has time (S2 reads the clock)"),
    r(sc.conntrackMax > 0, "conntrack-max (the early_drop counters are not renamed)", "conntrack-max (early_drop at S2 reads and changes the table)"),
    r(sc.chains !== undefined, "chains (their counters are not renamed)", undefined),
    r(sc.recycle, "recycle (slots, readers and locks are not renamed)", "recycle (a lookup's steps are not private)"),
    r(sc.deletes.length > 0, "deletes (ctnetlink's entries are named)", undefined),
    r(sc.control.length > 0, "control (the control plane's walks name entries)", "control (a rule change, and a helper removal's marks, reach S2's and S3's private entries)"),
    r(sc.nfqueue !== undefined, "nfqueue (the queue's order and threads are not renamed)", "nfqueue (a reinjected packet's lookup reads entries other packets made)"),
    r(sc.packets.some((p) => p.cloneOf !== undefined), "copies (segments and clones share their packet's entry)", "copies (segments and clones share their packet's private entry)"),
  ].filter(Boolean);
}

/** Whether the scenario's packets and CPUs are interchangeable, ignoring the settings scenarioReasons names. */
function interchangeable(sc: Scenario): boolean {
  const p0 = sc.packets[0]!;
  const cpus = new Set(sc.packets.map((p) => p.cpu));
  return (
    sc.packets.length > 1 &&
    cpus.size === sc.packets.length &&
    sc.packets.every(
      (p) =>
        p.afterReply === undefined &&
        p.nat === p0.nat &&
        p.from.addr === p0.from.addr &&
        p.from.port === p0.from.port &&
        p.to.addr === p0.to.addr &&
        p.to.port === p0.to.port &&
        p.zone?.id === p0.zone?.id &&
        p.zone?.dir === p0.zone?.dir,
    )
  );
}

/** The functions S2 and S3 may call: a local step needs every one of them as the base has it, and none choosing. */
function stepsPrivate(k: Kernel): boolean {
  return (
    k.init_conntrack === baseV46.init_conntrack &&
    // A lookup of a user's patch may see an unconfirmed entry (examples/patches/lookup-sees-unconfirmed.mjs): not private then.
    k.__nf_conntrack_find_get === baseV46.__nf_conntrack_find_get &&
    k.nf_nat_setup_info === baseV46.nf_nat_setup_info &&
    k.get_unique_tuple === baseV46.get_unique_tuple &&
    k.nf_nat_l4proto_unique_tuple === baseV46.nf_nat_l4proto_unique_tuple &&
    ![k.__nf_conntrack_alloc, k.early_drop, k.nf_nat_used_tuple, k.nf_conntrack_tuple_taken, k.takenBy].some(isChooser)
  );
}

/** `bysourceOrder`: keep nf_nat_bysource's whole order (tests compare with the counts from before its view). */
export function featuresOf(sc: Scenario, k: Kernel, opts: { readonly bysourceOrder?: boolean } = {}): Features {
  const oneZone = sc.packets.every((p) => p.zone?.id === sc.packets[0]!.zone?.id && p.zone?.dir === sc.packets[0]!.zone?.dir);
  const userPatch = k.parts.slice(1).some((id) => !PATCHES.some((p) => p.id === id));
  const noSymmetry = scenarioReasons(sc, false);
  if (noSymmetry.length === 0 && !interchangeable(sc)) noSymmetry.push("the packets are not interchangeable (symmetry needs the same query on one CPU each)");
  const noPor = scenarioReasons(sc, true);
  if (!stepsPrivate(k)) noPor.push(userPatch ? "a user's patch (its hooks may read or change what a local step would not)" : "the kernel's S2 or S3 is not the base's");
  return {
    limited: sc.conntrackMax > 0,
    timed: sc.timed,
    chains: sc.chains !== undefined,
    recycle: sc.recycle,
    control: sc.control.length > 0,
    skbs: hasSkbs(sc),
    oneZone,
    // nf_nat_bysource's order of equal neighbours is bookkeeping, for a user's patch too (state.ts tells hooks not
    // to depend on it), unless recycled slots reuse entries or packets differ in zone (find_appropriate_src compares it).
    bysourceView: oneZone && !sc.recycle && opts.bysourceOrder !== true,
    userPatch,
    noSymmetry,
    noPor,
  };
}

/** `f` for a model whose actors `stateful` (their kinds' `what`) keep words of their own, which symmetry does not rename. */
export function withActorState(f: Features, stateful: readonly string[]): Features {
  if (stateful.length === 0) return f;
  return { ...f, noSymmetry: [...f.noSymmetry, ...stateful.map((what) => `${what} keeps state symmetry does not rename`)] };
}

/** One line: which reductions asked for were not applied, each with its reasons; null when all were. */
export function whyNotReduced(f: Features, asked: { readonly symmetry: boolean; readonly por: boolean } | undefined, used: { readonly symmetry: boolean; readonly por: boolean }): string | null {
  if (!asked) return null;
  const parts: string[] = [];
  // `used` is what the model offered (engine/reduce.ts), decided by the same reasons.
  if (asked.symmetry && !used.symmetry) parts.push(`symmetry asked, not applied: ${f.noSymmetry.join("; ")}`);
  if (asked.por && !used.por) parts.push(`POR asked, not applied: ${f.noPor.join("; ")}`);
  return parts.length ? parts.join(". ") : null;
}
