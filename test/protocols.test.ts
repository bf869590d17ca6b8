/**
 * Protocols other than UDP and TCP (src/kernel/net/proto.ts, docs/kernel.md "Protocols"): what their tuples hold,
 * that NAT remaps an ICMP id in both of its places and never a GRE or generic tuple, and what a scenario may
 * combine them with.
 */
import { describe, expect, it } from "vitest";
import { runCheck } from "../src/app/check.js";
import { invert } from "../src/kernel/net/tuple.js";
import { protoTuple, withKey } from "../src/kernel/net/proto.js";
import { cloneState, Pc, type KState } from "../src/kernel/net/state.js";
import { IPS } from "../src/kernel/net/conn.js";
import { scenarioFromData } from "../src/scenario/load.js";
import type { Scenario } from "../src/scenario/scenario.js";

/** Two hosts behind one MASQUERADE address send a first packet each, one after the other, to one server. */
function twoHosts(protocol: string, extra: Record<string, unknown> = {}): Scenario {
  return scenarioFromData(
    {
      name: `two-hosts-${protocol}`,
      description: "two hosts, one MASQUERADE address, the same id or port",
      protocol,
      cpus: 1,
      "nat-table": true,
      client: "10.0.0.1:7",
      service: "192.0.2.1:7",
      snat: { mode: "masquerade", to: "192.0.2.100" },
      packets: [
        { name: "H1", cpu: 0 },
        { name: "H2", cpu: 0, from: "10.0.0.2:7" },
      ],
      kernels: ["v6.12"],
      ...extra,
    },
    "two-hosts",
  );
}

function ends(sc: Scenario, kernel: string): KState[] {
  const out: KState[] = [];
  runCheck(sc, kernel, "no-drop", { visit: (s) => void (s.pkts.every((p) => p.pc === Pc.DONE) && out.push(cloneState(s))) });
  return out;
}

describe("tuples", () => {
  it("an ICMP echo's id is in both places, so inverting keeps it", () => {
    const t = protoTuple("icmp", 0, 1234, 1, 9);
    expect([t.sport, t.dport]).toEqual([1234, 1234]);
    expect(invert(t)).toEqual({ src: 1, sport: 1234, dst: 0, dport: 1234 });
    expect(withKey("icmp", t, "SRC", 7)).toEqual({ src: 0, sport: 7, dst: 1, dport: 7 });
    expect(withKey("icmp", t, "DST", 7)).toEqual({ src: 0, sport: 7, dst: 1, dport: 7 });
  });

  it("a generic tuple is the two addresses; GRE keys and UDP ports are ports", () => {
    expect(protoTuple("generic", 0, 1234, 1, 53)).toEqual({ src: 0, sport: 0, dst: 1, dport: 0 });
    expect(protoTuple("gre", 0, 6000, 1, 6001)).toEqual({ src: 0, sport: 6000, dst: 1, dport: 6001 });
    expect(withKey("udp", protoTuple("udp", 0, 1, 1, 2), "DST", 9)).toEqual({ src: 0, sport: 1, dst: 1, dport: 9 });
  });
});

describe("NAT of a taken tuple", () => {
  it("ICMP: the second host's id is remapped, in both places of its REPLY tuple", () => {
    const fin = ends(twoHosts("icmp"), "v6.12");
    expect(fin.length).toBeGreaterThan(0);
    for (const s of fin) {
      const [h1, h2] = [s.pkts[0]!.ct!, s.pkts[1]!.ct!];
      expect(h1.reply.sport).toBe(7);
      expect(h2.status & IPS.SRC_NAT).toBeTruthy();
      expect(h2.reply.sport).toBe(h2.reply.dport);
      expect(h2.reply.dport).not.toBe(7);
    }
  });

  it("GRE and generic: the tuple is kept although taken, and the second confirm clashes", () => {
    for (const proto of ["gre", "generic"]) {
      const sc = twoHosts(proto);
      // Where H2 is about to confirm after H1 was: its REPLY tuple is H1's, not remapped.
      const seen: KState[] = [];
      runCheck(sc, "v6.12", "no-drop", { visit: (s) => void (s.pkts[0]!.pc === Pc.DONE && s.pkts[1]!.pc === Pc.CONFIRM && seen.push(cloneState(s))) });
      expect(seen.length, proto).toBeGreaterThan(0);
      for (const s of seen) expect(s.pkts[1]!.ct!.reply, proto).toEqual(s.pkts[0]!.ct!.reply);
      expect(runCheck(sc, "v6.12", "no-drop").result.verdict, proto).toBe("violated");
    }
  });

  it("UDP: the second host's port is remapped", () => {
    for (const s of ends(twoHosts("udp"), "v6.12")) expect(s.pkts[1]!.ct!.reply.dport).not.toBe(7);
  });
});

describe("what a scenario may combine them with", () => {
  for (const [field, extra] of [
    ["reply-within", { replies: true, "reply-within": "1s" }],
    ["conntrack-max", { "conntrack-max": 2 }],
    ["recycle", { recycle: true }],
  ] as const) {
    it(`icmp with ${field} is refused, naming the protocol`, () => {
      expect(() => twoHosts("icmp", extra)).toThrow(/^two-hosts: protocol: icmp: expected udp or tcp in a scenario with time, conntrack-max or recycle/);
    });
  }
  it("an unknown protocol lists the five", () => {
    expect(() => twoHosts("sctp")).toThrow(/protocol: expected one of udp, tcp, icmp, gre, generic, got 'sctp'/);
  });
});

describe("what the model leaves out is refused, not answered", () => {
  const reverse = (protocol: string, extra: Record<string, unknown> = {}) =>
    scenarioFromData(
      {
        name: "both-ends",
        description: "both ends of one flow send a first packet",
        protocol,
        cpus: 2,
        "nat-table": true,
        client: "127.0.0.11:56789",
        service: "127.0.0.12:56790",
        snat: "null-binding",
        packets: [
          { name: "FWD", cpu: 0 },
          { name: "REV", cpu: 1, from: "127.0.0.12:56790", to: "127.0.0.11:56789" },
        ],
        kernels: ["v6.12"],
        ...extra,
      },
      "both-ends",
    );
  it("an ICMP echo request of the same id both ways (the model's ICMP tuple has no echo type)", () => {
    const sameId = { packets: [{ name: "FWD", cpu: 0 }, { name: "REV", cpu: 1, from: "127.0.0.12:56789", to: "127.0.0.11:1" }] };
    expect(() => reverse("icmp", sameId)).toThrow(/^both-ends: packets\[1\]\.from: an ICMP echo request with the same id the other way/);
    // Another id is another flow in the kernel and here.
    expect(reverse("icmp").packets).toHaveLength(2);
  });
  it("no-needless-rewrite where confirm never merges (TCP): a rewrite is the only way there", async () => {
    const { propertiesOf } = await import("../src/app/check.js");
    expect(propertiesOf(reverse("udp")).map((p) => p.name)).toContain("no-needless-rewrite");
    expect(propertiesOf(reverse("tcp")).map((p) => p.name)).not.toContain("no-needless-rewrite");
  });
  it("an unquoted version in kernels: says how to write it", () => {
    expect(() => reverse("udp", { kernels: [6.1] })).toThrow(/kernels\[0\]: expected a version as text: YAML reads 6\.1 as a number .* as v6\.1$/);
  });
});
