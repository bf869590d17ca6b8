/**
 * Reads a scenario file (YAML or JSON) and validates it. Every problem becomes
 * one line naming the file, the field and what was expected (InputError).
 */
import { closeSync, constants, openSync, readSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { ControlOp, HostPort, PacketSpec, Scenario } from "./scenario.js";
import { NF_CT_DEFAULT_ZONE_DIR, NF_CT_ZONE_DIR_ORIG, NF_CT_ZONE_DIR_REPL, type Zone } from "./zone.js";
import { IncompleteError, InputError } from "../errors.js";
import { stopRequested } from "../runtime/control.js";
import { describeIssues, safeParseReported } from "./issues.js";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

const ipv4 = z.string({ error: "expected an IPv4 address such as 10.96.0.10" }).regex(IPV4, { message: "expected an IPv4 address such as 10.96.0.10" });
const hostPort = z
  .string({ error: "expected address:port, such as 10.96.0.10:53" })
  .regex(/^[^:]+:\d+$/, { message: "expected address:port, such as 10.96.0.10:53" })
  .refine((s) => IPV4.test(s.split(":")[0]!), { message: "expected address:port with an IPv4 address" })
  .refine(
    (s) => {
      const p = Number(s.split(":")[1]);
      return p >= 1 && p <= 65535;
    },
    { message: "expected a port from 1 to 65535" },
  );

/** A length of time with its unit: "1.5s", "500ms", "2min", up to an hour; in whole ms (a bare number is refused:
 * 31 would be 31 ms to the kernel's jiffies and 31 s to a reader). */
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|min)$/;
const durationMessage = "expected a length of time with its unit, such as 500ms, 1.5s or 2min (0 to 60min, in whole milliseconds)";
const duration = z.string({ error: durationMessage }).refine((v) => toMs(v) !== undefined, { message: durationMessage });
function toMs(v: string): number | undefined {
  const m = DURATION.exec(v.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "s" ? 1000 : 60_000);
  return Number.isInteger(ms) && ms >= 0 && ms <= 3_600_000 ? ms : undefined;
}

/** A conntrack zone id (u16). */
const zoneId = z.number({ error: "expected a zone id, a whole number from 0 to 65535" }).int({ message: "expected a zone id, a whole number from 0 to 65535" }).min(0, { message: "expected a zone id from 0 to 65535" }).max(65535, { message: "expected a zone id from 0 to 65535" });

const CONTROL_STEP = "expected a control step: flush, remove-helper, remove-timeout-policy, { endpoints: [address:port, ...] } or { delete: { orig-dst?: address:port, reply-src?: address:port, protocol?: udp } }";

const fields = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: "expected a name of lower-case letters, digits and dashes" }),
    description: z.string().min(1),
    protocol: z.enum(["udp", "tcp", "icmp", "gre", "generic"]),
    cpus: z.number().int().min(1).max(32),
    "nat-table": z.boolean(),
    client: hostPort,
    service: hostPort,
    dnat: z
      .strictObject({
        endpoints: z.array(hostPort).min(1).max(16),
        choice: z.enum(["random", "consistent"]),
      })
      .optional(),
    snat: z.union([
      z.enum(["none", "null-binding"]),
      z.strictObject({
        mode: z.literal("masquerade"),
        to: ipv4,
        ports: z
          .string()
          .regex(/^\d+-\d+$/, { message: "expected a port range such as 1024-1031" })
          .refine(
            (r) => {
              const [a, b] = r.split("-").map(Number);
              return a! >= 1 && b! <= 65535 && a! <= b! && b! - a! < 256;
            },
            { message: "expected min-max with 1 <= min <= max <= 65535 and at most 256 ports" },
          )
          .optional(),
        "random-fully": z.boolean().optional(),
      }),
    ], { error: "expected none, null-binding, or { mode: masquerade, to: <IPv4>, ports?: min-max, random-fully?: bool }" }),
    replies: z.boolean().optional(),
    "conntrack-max": z
      .number({ error: "expected nf_conntrack_max, a whole number from 1 to 7 (leave it out for no limit)" })
      .int({ message: "expected nf_conntrack_max, a whole number from 1 to 7 (leave it out for no limit)" })
      .min(1, { message: "expected nf_conntrack_max from 1 to 7 (leave it out for no limit: the kernel's 0)" })
      .max(7, { message: "expected nf_conntrack_max from 1 to 7: early_drop's step branches on every set of evictable entries (2^max)" })
      .optional(),
    "reply-within": duration.optional(),
    recycle: z.boolean().optional(),
    chains: z
      .strictObject({
        "max-chainlen": z.number().int().min(0, { message: "expected a small limit, 0 to 3 (the kernel draws it from [8, 32), [50, 80) from v6.3)" }).max(3, { message: "expected a small limit, 0 to 3 (the kernel draws it from [8, 32), [50, 80) from v6.3)" }),
        "other-nodes": z.number().int().min(0, { message: "expected 0 to 8 nodes" }).max(8, { message: "expected 0 to 8 nodes" }),
      })
      .optional(),
    notrack: z.boolean().optional(),
    deletes: z.array(z.string()).optional(),
    control: z
      .array(
        z.union(
          [
            z.enum(["flush", "remove-helper", "remove-timeout-policy"]),
            z.strictObject({ endpoints: z.array(hostPort).max(16) }),
            z.strictObject({
              delete: z.strictObject({
                "orig-dst": hostPort.optional(),
                "reply-src": hostPort.optional(),
                protocol: z.enum(["udp", "tcp", "icmp", "gre", "generic"]).optional(),
              }),
            }),
          ],
          { error: CONTROL_STEP },
        ),
      )
      .min(1, { message: "expected at least one step (leave control out for none)" })
      .max(8, { message: "expected at most 8 steps: each is interleaved with every packet's" })
      .optional(),
    resync: z.boolean().optional(),
    helper: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: "expected a helper's name, such as tftp or ftp" }).optional(),
    "timeout-policy": z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: "expected a timeout policy's name, such as udp-short" }).optional(),
    nfqueue: z
      .strictObject({
        hook: z.enum(["prerouting", "output", "postrouting"], { error: "expected the hook the NFQUEUE rule is in: prerouting, output or postrouting" }),
        order: z.enum(["fifo", "any"], { error: "expected fifo (verdicts in queue order) or any (in any order)" }).optional(),
        threads: z.number({ error: "expected 1 or 2 threads" }).int({ message: "expected 1 or 2 threads" }).min(1, { message: "expected 1 or 2 threads" }).max(2, { message: "expected 1 or 2 threads: each is an actor of its own" }).optional(),
        gso: z.boolean().optional(),
        verdicts: z.array(z.enum(["accept", "drop"], { error: "expected accept or drop" })).min(1, { message: "expected accept, drop or both" }).max(2).optional(),
        timeout: duration.optional(),
      })
      .optional(),
    packets: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9_-]+$/, { message: "expected a short name of letters, digits, _ or -" }),
          cpu: z.number().int().min(0),
          from: hostPort.optional(),
          to: hostPort.optional(),
          "after-reply": z.string().optional(),
          nat: z.boolean().optional(),
          zone: zoneId.optional(),
          "zone-orig": zoneId.optional(),
          "zone-reply": zoneId.optional(),
          at: duration.optional(),
          segments: z.number({ error: "expected the number of GSO segments, 2 to 4" }).int({ message: "expected the number of GSO segments, 2 to 4" }).min(2, { message: "expected 2 to 4 segments (leave it out for a packet of one)" }).max(4, { message: "expected 2 to 4 segments: each is a packet of its own to the search" }).optional(),
          bridge: z.enum(["broadcast", "promisc"], { error: "expected broadcast (a frame up through br0, copied there by a macvlan's broadcast worker) or promisc (up only because br0 is promiscuous, and forwarded)" }).optional(),
          clones: z.array(z.number().int().min(0), { error: "expected a list of CPUs, one per clone, such as [1]" }).min(1, { message: "expected one CPU per clone (leave clones out for none)" }).max(3, { message: "expected at most 3 clones" }).optional(),
        }),
      )
      .min(1)
      .max(12),
    kernels: z
      .array(
        z.string({
          // YAML reads an unquoted 6.10 as the number 6.1.
          error: (iss) => (typeof iss.input === "number" ? `expected a version as text: YAML reads ${iss.input} as a number (6.10 becomes 6.1); write it with a v, as v${iss.input}` : "expected a kernel version such as v6.1"),
        }).min(1),
      )
      .min(1),
    mitigation: z
      .strictObject({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: "expected the mitigation's name, such as single-request-reopen" }),
        of: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: "expected a scenario's name" })).min(1, { message: "expected the scenarios whose race it mitigates" }),
        how: z.string().min(1, { message: "expected what a user changes, such as 'resolv.conf: options single-request-reopen'" }),
      })
      .optional(),
  });

const schema = fields
  .superRefine((s, ctx) => {
    s.packets.forEach((p, i) => {
      if (p.cpu >= s.cpus) {
        ctx.addIssue({ code: "custom", path: ["packets", i, "cpu"], message: `expected a CPU from 0 to ${s.cpus - 1} (cpus is ${s.cpus}), got ${p.cpu}` });
      }
    });
    const names = new Set<string>();
    s.packets.forEach((p, i) => {
      if (names.has(p.name)) ctx.addIssue({ code: "custom", path: ["packets", i, "name"], message: `expected a unique name; '${p.name}' is used twice` });
      names.add(p.name);
    });
    s.packets.forEach((p, i) => {
      const dep = p["after-reply"];
      if (dep === undefined) return;
      const j = s.packets.findIndex((q) => q.name === dep);
      if (!s.replies) {
        ctx.addIssue({ code: "custom", path: ["packets", i, "after-reply"], message: "needs replies: true" });
      } else if (j < 0 || j >= i) {
        ctx.addIssue({ code: "custom", path: ["packets", i, "after-reply"], message: `expected the name of an earlier packet, got '${dep}'` });
      }
    });
    if (s.recycle && s["conntrack-max"] !== undefined) {
      ctx.addIssue({ code: "custom", path: ["recycle"], message: "expected recycle or conntrack-max, not both (init_conntrack's slot choice and early_drop's are not combined yet)" });
    }
    if (s.chains && s["conntrack-max"] !== undefined) {
      ctx.addIssue({ code: "custom", path: ["chains"], message: "expected chains or conntrack-max, not both: the other flows' nodes would count against nf_conntrack_max, which the model does not do" });
    }
    if (s["reply-within"] !== undefined && !s.replies) {
      ctx.addIssue({ code: "custom", path: ["reply-within"], message: "needs replies: true (it says how long a reply may take)" });
    }
    s.packets.forEach((p, i) => {
      if (p.at !== undefined && p["after-reply"] !== undefined) {
        ctx.addIssue({ code: "custom", path: ["packets", i, "at"], message: "expected either at (a send time) or after-reply (sent once a reply came), not both" });
      }
    });
    if (s.notrack && (s.dnat || s.snat !== "none" && typeof s.snat === "object")) {
      ctx.addIssue({ code: "custom", path: ["notrack"], message: "NOTRACK packets get no NAT: expected no dnat and no masquerade" });
    }
    s.packets.forEach((p, i) => {
      if (p.nat === false && !s["nat-table"]) {
        ctx.addIssue({ code: "custom", path: ["packets", i, "nat"], message: "only means something with nat-table: true (without a NAT table no packet passes NAT)" });
      }
    });
    s.packets.forEach((p, i) => {
      // One template has one id: `--zone` covers both directions, `--zone-orig`/`--zone-reply` one each.
      const dirs = (["zone-orig", "zone-reply"] as const).filter((k) => p[k] !== undefined);
      if (p.zone !== undefined && dirs.length) {
        ctx.addIssue({ code: "custom", path: ["packets", i, dirs[0]!], message: "expected either zone (both directions) or zone-orig/zone-reply, not both" });
      } else if (dirs.length === 2) {
        ctx.addIssue({
          code: "custom",
          path: ["packets", i, "zone-reply"],
          message: "expected zone-orig or zone-reply, not both (a template has one id: for both directions write zone: N)",
        });
      }
    });
    (s.deletes ?? []).forEach((d, i) => {
      if (!s.packets.some((p) => p.name === d)) {
        ctx.addIssue({ code: "custom", path: ["deletes", i], message: `expected the name of a packet, got '${d}'` });
      }
    });
    if (s.notrack && s.deletes?.length) {
      ctx.addIssue({ code: "custom", path: ["deletes"], message: "NOTRACK packets have no entries to delete" });
    }
    controlIssues(s, ctx);
    copyIssues(s, ctx);
    if (typeof s.snat === "object" && s.snat["random-fully"] && !s.snat.ports) {
      ctx.addIssue({ code: "custom", path: ["snat", "ports"], message: "--random-fully branches on every port of the range: expected a small range such as 1024-1031" });
    }
    if (!["udp", "tcp"].includes(s.protocol)) {
      // Their trackers' timeouts and ASSURED rules are not modelled: only what clash resolution does with them.
      const timed = s["reply-within"] !== undefined || s.packets.some((p) => p.at !== undefined);
      if (timed || s["conntrack-max"] !== undefined || s.recycle) {
        ctx.addIssue({ code: "custom", path: ["protocol"], message: `${s.protocol}: expected udp or tcp in a scenario with time, conntrack-max or recycle (the ${s.protocol} tracker's timeouts and ASSURED rule are not modelled)` });
      }
    }
    if (s.protocol === "icmp") {
      // The model's ICMP tuple has no echo type (kernel/net/proto.ts): a request the other way would be taken for a reply.
      // A request's source address, destination address and id (the source's port).
      const key = (p: { from?: string; to?: string }): [string, string, string] => {
        const [a, id] = (p.from ?? s.client).split(":");
        return [a!, (p.to ?? s.service).split(":")[0]!, id!];
      };
      s.packets.forEach((p, i) => {
        const [a, b, id] = key(p);
        if (s.packets.some((q, j) => j < i && key(q).join(" ") === `${b} ${a} ${id}`)) {
          ctx.addIssue({ code: "custom", path: ["packets", i, "from"], message: "an ICMP echo request with the same id the other way between the same hosts is not modelled (the model's ICMP tuple has no echo type): expected another id, or requests in one direction" });
        }
      });
    }
    if (s.dnat && !s["nat-table"]) {
      ctx.addIssue({ code: "custom", path: ["dnat"], message: "a DNAT rule needs nat-table: true" });
    }
    if (s.snat === "none" && s["nat-table"]) {
      ctx.addIssue({
        code: "custom",
        path: ["snat"],
        message: "expected null-binding or masquerade: with an active NAT table the kernel always sets up source NAT, as a null binding when no rule matches (nf_nat_alloc_null_binding)",
      });
    }
    if (s.snat !== "none" && !s["nat-table"]) {
      ctx.addIssue({ code: "custom", path: ["snat"], message: "expected none: source NAT needs nat-table: true" });
    }
    // Only on fields that passed: a wrong field's consequences (cpus 0: "a CPU from 0 to -1") would bury it.
  }, { when: (payload) => payload.issues.length === 0 });

type RawScenario = z.infer<typeof schema>;

/** What `control`, `resync` and `helper` need of the rest of the scenario (docs/scenarios.md). */
function controlIssues(s: z.infer<typeof fields>, ctx: z.RefinementCtx): void {
  const steps = s.control ?? [];
  steps.forEach((op, i) => {
    if (typeof op === "object" && "endpoints" in op && !s.dnat) {
      ctx.addIssue({ code: "custom", path: ["control", i, "endpoints"], message: "a rule change needs the dnat rule it changes (dnat: ...)" });
    }
    if (op === "remove-helper" && s.helper === undefined) {
      ctx.addIssue({ code: "custom", path: ["control", i], message: "remove-helper needs the helper the flows' rule attaches (helper: NAME)" });
    }
    if (op === "remove-timeout-policy" && s["timeout-policy"] === undefined) {
      ctx.addIssue({ code: "custom", path: ["control", i], message: "remove-timeout-policy needs the policy the flows' rule attaches (timeout-policy: NAME)" });
    }
  });
  for (const once of ["remove-helper", "remove-timeout-policy"] as const) {
    const at = steps.indexOf(once, steps.indexOf(once) + 1);
    if (steps.indexOf(once) >= 0 && at >= 0) ctx.addIssue({ code: "custom", path: ["control", at], message: `${once} once: the scenario has one of it to remove (a second removal is ENOENT)` });
  }
  if (s.helper !== undefined && !steps.includes("remove-helper")) {
    ctx.addIssue({ code: "custom", path: ["helper"], message: "only means something with a remove-helper step in control (the model's helper does nothing else)" });
  }
  if (s["timeout-policy"] !== undefined && !steps.includes("remove-timeout-policy")) {
    ctx.addIssue({ code: "custom", path: ["timeout-policy"], message: "only means something with a remove-timeout-policy step in control (the model's policy does nothing else)" });
  }
  if (s.resync && !steps.some((op) => typeof op === "object" && "delete" in op)) {
    ctx.addIssue({ code: "custom", path: ["resync"], message: "a resync repeats the control plane's deletes: expected a { delete: ... } step in control" });
  }
  if (!steps.length) return;
  if (s.deletes?.length) {
    ctx.addIssue({ code: "custom", path: ["control"], message: "expected deletes or control, not both (a { delete: ... } step of control does what deletes does, by filter)" });
  }
  if (s.recycle) {
    ctx.addIssue({ code: "custom", path: ["control"], message: "control is not modelled with recycle (the walks of a recycled slot's entries are not)" });
  }
  if (s["reply-within"] !== undefined || s.packets.some((p) => p.at !== undefined)) {
    ctx.addIssue({ code: "custom", path: ["control"], message: "control is not modelled with time (reply-within, at): the control plane's steps take no time on the clock" });
  }
}

/** What `nfqueue`, `segments`, `bridge` and `clones` need of the rest of the scenario (docs/scenarios.md). */
function copyIssues(s: z.infer<typeof fields>, ctx: z.RefinementCtx): void {
  const q = s.nfqueue;
  if (q?.verdicts && new Set(q.verdicts).size !== q.verdicts.length) ctx.addIssue({ code: "custom", path: ["nfqueue", "verdicts"], message: "expected each verdict once" });
  const bridged = s.packets.some((p) => p.bridge !== undefined);
  const copied = s.packets.some((p) => p.segments !== undefined || p.clones !== undefined);
  s.packets.forEach((p, i) => {
    if (p.segments !== undefined && !q) ctx.addIssue({ code: "custom", path: ["packets", i, "segments"], message: "segments are made by a queue without F_GSO: expected an nfqueue rule" });
    if (p.segments !== undefined && q?.gso) ctx.addIssue({ code: "custom", path: ["packets", i, "segments"], message: "a queue with gso: true takes the packet whole: expected gso: false (or no segments)" });
    if (p.clones !== undefined && p.bridge === undefined) ctx.addIssue({ code: "custom", path: ["packets", i, "clones"], message: "clones are made on a bridge: expected bridge: broadcast or promisc" });
    p.clones?.forEach((c, j) => {
      if (c >= s.cpus) ctx.addIssue({ code: "custom", path: ["packets", i, "clones", j], message: `expected a CPU from 0 to ${s.cpus - 1} (cpus is ${s.cpus}), got ${c}` });
    });
    if (p["after-reply"] !== undefined && (p.segments !== undefined || p.bridge !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["packets", i, "after-reply"], message: "not modelled for a segmented or bridged packet" });
    }
  });
  if (!q && !bridged) return;
  const what = q ? "nfqueue" : "bridge";
  const path = q ? ["nfqueue"] : ["packets"];
  if (q && bridged) ctx.addIssue({ code: "custom", path, message: "nfqueue and bridged packets are not modelled together" });
  if ((bridged || copied) && s["nat-table"]) ctx.addIssue({ code: "custom", path, message: `${what} with copies of a packet (segments, clones) or bridged frames needs nat-table: false: which copy sets NAT up on the shared entry is not modelled` });
  const timed = s["reply-within"] !== undefined || s.packets.some((p) => p.at !== undefined);
  if (q?.timeout !== undefined && !timed) {
    ctx.addIssue({ code: "custom", path: ["nfqueue", "timeout"], message: "needs a scenario with time (reply-within, or a packet's at): one without keeps no timeouts" });
  }
  const unsupported: [boolean, string][] = [
    [s.recycle === true, "recycle"],
    [s.control !== undefined, "control"],
    [(s.deletes?.length ?? 0) > 0, "deletes"],
    [s["conntrack-max"] !== undefined, "conntrack-max"],
    // A queue runs with time (a verdict may set the entry's timeout); copies and bridged frames do not.
    [timed && (bridged || copied), "time (reply-within, at)"],
    [s.notrack === true, "notrack"],
    [s.chains !== undefined, "chains"],
  ];
  for (const [on, name] of unsupported) if (on) ctx.addIssue({ code: "custom", path, message: `${what} is not modelled with ${name}` });
}

/** Validates an already parsed document. */
export function scenarioFromData(data: unknown, source: string): Scenario {
  const r = safeParseReported(schema, data);
  if (!r.success) throw new InputError(`${source}: ${describeIssues(r.error.issues, schema)}`);
  return intern(r.data, source);
}

/** Scenario and claim files are small; a bigger one (or /dev/zero) is refused before it fills memory. */
export const MAX_INPUT_BYTES = 2 ** 20;

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ELOOP: "too many levels of symbolic links",
  ENOTDIR: "a part of the path is not a folder",
  EISDIR: "it is a folder",
  ENAMETOOLONG: "the name is too long",
  EFBIG: `larger than ${MAX_INPUT_BYTES / 2 ** 20} MiB`,
};

/** What a failed file operation means, for a message: "permission denied (EACCES)". */
export function describeErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return e instanceof Error ? e.message : String(e);
  const words = ERRNO_WORDS[code];
  return words ? `${words} (${code})` : code;
}

/** The text of a small input file, without a leading byte-order mark. Throws
 * the file system's error (with code EFBIG for a file past MAX_INPUT_BYTES). */
export function readInputText(path: string): string {
  // Opened without blocking: a FIFO with no writer, or a pipe that is slow to
  // write, must not hold the command where no signal can reach it.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(MAX_INPUT_BYTES + 1);
    const nap = new Int32Array(new SharedArrayBuffer(4));
    let n = 0;
    for (;;) {
      let k: number;
      try {
        k = readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        // A writer that has not written yet: wait a little, unless asked to stop.
        if (stopRequested()) throw new IncompleteError(`${path}: stopped while waiting for its writer`);
        Atomics.wait(nap, 0, 0, 20);
        continue;
      }
      if (k === 0 || (n += k) >= buf.length) break;
    }
    if (n > MAX_INPUT_BYTES) throw Object.assign(new Error("file too large"), { code: "EFBIG" });
    return buf.toString("utf8", 0, n).replace(/^\uFEFF/, "");
  } finally {
    closeSync(fd);
  }
}

/** A scenario from its text; JSON by the .json ending, YAML otherwise. */
export function scenarioFromText(text: string, path: string): Scenario {
  let data: unknown;
  try {
    data = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    throw new InputError(`${path}: not valid ${path.endsWith(".json") ? "JSON" : "YAML"}: ${msg}`);
  }
  return scenarioFromData(data, path);
}

export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readInputText(path);
  } catch (e) {
    if (e instanceof IncompleteError) throw e;
    throw new InputError(`${path}: cannot read scenario file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return scenarioFromText(text, path);
}

function intern(raw: RawScenario, source: string): Scenario {
  const addrs: string[] = [];
  const addr = (a: string): number => {
    let i = addrs.indexOf(a);
    if (i < 0) i = addrs.push(a) - 1;
    return i;
  };
  const hp = (s: string): HostPort => {
    const [a, p] = s.split(":");
    return { addr: addr(a!), port: Number(p) };
  };
  const client = hp(raw.client);
  const service = hp(raw.service);
  const packets: PacketSpec[] = raw.packets.map((p) => {
    const dep = p["after-reply"];
    return {
      name: p.name,
      cpu: p.cpu,
      from: p.from ? hp(p.from) : client,
      to: p.to ? hp(p.to) : service,
      ...(dep !== undefined ? { afterReply: raw.packets.findIndex((q) => q.name === dep) } : {}),
      nat: p.nat ?? true,
      ...zoneOf(p),
      ...(p.at !== undefined ? { at: toMs(p.at)! } : {}),
      ...(p.segments !== undefined ? { segments: p.segments } : {}),
      ...(p.bridge !== undefined ? { bridge: p.bridge } : {}),
    };
  });
  // Every endpoint the rule ever has, by its text: those at the start, then those rule changes add.
  // The copies of a packet come after every written packet, in order: a GSO packet's segments 2..n, a bridged frame's clones.
  const copies: PacketSpec[] = raw.packets.flatMap((p, i) => {
    const base = packets[i]!;
    const seg = Array.from({ length: (p.segments ?? 1) - 1 }, (_, k): PacketSpec => ({ ...base, name: `${p.name}.seg${k + 2}`, cloneOf: i, copy: "segment", segments: undefined }));
    const cl = (p.clones ?? []).map((cpu, k): PacketSpec => ({ ...base, name: `${p.name}.clone${k + 1}`, cpu, cloneOf: i, copy: "clone" }));
    return [...seg, ...cl].map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as unknown as PacketSpec);
  });
  if (packets.length + copies.length > 16) throw new InputError(`${source}: packets: expected at most 16 packets with their segments and clones, got ${packets.length + copies.length}`);
  const epText: string[] = [...(raw.dnat?.endpoints ?? [])];
  const epIndex = (t: string): number => {
    const i = epText.indexOf(t);
    return i >= 0 ? i : epText.push(t) - 1;
  };
  const sets: number[][] = [epText.map((_, i) => i)];
  const control: ControlOp[] = (raw.control ?? []).map((op): ControlOp => {
    if (op === "flush") return { kind: "flush" };
    if (op === "remove-helper") return { kind: "remove-helper" };
    if (op === "remove-timeout-policy") return { kind: "remove-timeout-policy" };
    if ("endpoints" in op) return { kind: "endpoints", set: sets.push([...new Set(op.endpoints.map(epIndex))]) - 1 };
    const f = op.delete;
    return { kind: "delete", filter: { ...(f["orig-dst"] ? { origDst: hp(f["orig-dst"]) } : {}), ...(f["reply-src"] ? { replySrc: hp(f["reply-src"]) } : {}), ...(f.protocol ? { protocol: f.protocol } : {}) } };
  });
  const dnat = raw.dnat ? { service, endpoints: epText.map(hp), sets, choice: raw.dnat.choice } : undefined;
  const snat =
    typeof raw.snat === "string"
      ? { mode: raw.snat, randomFully: false }
      : {
          mode: raw.snat.mode,
          to: addr(raw.snat.to),
          ...(raw.snat.ports ? { ports: { min: Number(raw.snat.ports.split("-")[0]), max: Number(raw.snat.ports.split("-")[1]) } } : {}),
          randomFully: raw.snat["random-fully"] ?? false,
        };
  // Frozen all through: a patch given the scenario (ctx.sc) must not change it for the other kernels of a compare.
  return deepFreeze({
    name: raw.name,
    description: raw.description,
    source,
    protocol: raw.protocol,
    cpus: raw.cpus,
    natTable: raw["nat-table"],
    ...(dnat ? { dnat } : {}),
    snat,
    packets: [...packets, ...copies],
    replies: raw.replies ?? false,
    conntrackMax: raw["conntrack-max"] ?? 0,
    recycle: raw.recycle ?? false,
    timed: raw["reply-within"] !== undefined || raw.packets.some((p) => p.at !== undefined),
    replyWithin: raw["reply-within"] !== undefined ? toMs(raw["reply-within"])! : 0,
    ...(raw.chains ? { chains: { maxChainlen: raw.chains["max-chainlen"], otherNodes: raw.chains["other-nodes"] } } : {}),
    notrack: raw.notrack ?? false,
    deletes: [...new Set((raw.deletes ?? []).map((d) => raw.packets.findIndex((p) => p.name === d)))],
    control,
    resync: raw.resync ?? false,
    ...(raw.helper !== undefined ? { helper: raw.helper } : {}),
    ...(raw["timeout-policy"] !== undefined ? { timeoutPolicy: raw["timeout-policy"] } : {}),
    ...(raw.nfqueue
      ? {
          nfqueue: {
            hook: raw.nfqueue.hook,
            order: raw.nfqueue.order ?? "fifo",
            threads: raw.nfqueue.threads ?? 1,
            gso: raw.nfqueue.gso ?? false,
            verdicts: raw.nfqueue.verdicts ?? ["accept"],
            ...(raw.nfqueue.timeout !== undefined ? { timeout: toMs(raw.nfqueue.timeout)! } : {}),
          },
        }
      : {}),
    kernels: raw.kernels,
    ...(raw.mitigation ? { mitigation: { name: raw.mitigation.name, of: raw.mitigation.of, how: raw.mitigation.how } } : {}),
    addrs,
  });
}

/** The packet's template zone, only when the file gives one: a scenario without zones stays as it was. */
function zoneOf(p: RawScenario["packets"][number]): { zone: Zone } | Record<string, never> {
  if (p.zone !== undefined) return { zone: { id: p.zone, dir: NF_CT_DEFAULT_ZONE_DIR } };
  if (p["zone-orig"] !== undefined) return { zone: { id: p["zone-orig"], dir: NF_CT_ZONE_DIR_ORIG } };
  if (p["zone-reply"] !== undefined) return { zone: { id: p["zone-reply"], dir: NF_CT_ZONE_DIR_REPL } };
  return {};
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
