/**
 * Conntrack zones (struct nf_conntrack_zone, include/net/netfilter/nf_conntrack_zones.h):
 * an id (default 0) and the directions it applies to. A packet gets its zone
 * from a raw-table template (`-j CT --zone N`, `--zone-orig N`, `--zone-reply N`);
 * init_conntrack copies it into the new entry (nf_ct_zone_tmpl, nf_ct_zone_add).
 *
 * The zone is static per entry: the template of the packet that allocated it,
 * and an entry is named by that packet's index. So the model reads an entry's
 * zone from the scenario (nf_ct_zone) instead of storing it in the state: the
 * state, its encoding and its counts stay what they were without zones.
 *
 * Not modelled: the zone in the hash (b16ac3c4c886, v5.15) only picks buckets;
 * the table here is one chain, and which entries match is nf_ct_key_equal's
 * zone test, which every release has.
 */
import type { Scenario } from "../../scenario/scenario.js";
import { perScenario } from "../../scenario/per-scenario.js";
import type { Dir } from "./conn.js";

export { NF_CT_ZONE_DIR_ORIG, NF_CT_ZONE_DIR_REPL, NF_CT_DEFAULT_ZONE_DIR, type Zone } from "../../scenario/zone.js";
import { NF_CT_ZONE_DIR_ORIG, NF_CT_ZONE_DIR_REPL, NF_CT_DEFAULT_ZONE_DIR, type Zone } from "../../scenario/zone.js";

/** nf_ct_zone_dflt: what a packet without a template is in. */
export const NF_CT_DEFAULT_ZONE: Zone = Object.freeze({ id: 0, dir: NF_CT_DEFAULT_ZONE_DIR });

/** nf_ct_zone_id: the id in direction `dir`, 0 where the zone does not apply. */
export function nf_ct_zone_id(zone: Zone, dir: Dir): number {
  return zone.dir & (dir === "ORIGINAL" ? NF_CT_ZONE_DIR_ORIG : NF_CT_ZONE_DIR_REPL) ? zone.id : 0;
}

/** nf_ct_zone_equal(ct, zone, dir), with the entry's zone `a` (nf_ct_zone(ct)) given. */
export function nf_ct_zone_equal(a: Zone, b: Zone, dir: Dir): boolean {
  return nf_ct_zone_id(a, dir) === nf_ct_zone_id(b, dir);
}

/** Equal ids in both directions (the zone test of nf_ct_match). */
export function zonesEqualBothWays(a: Zone, b: Zone): boolean {
  return a === b || nf_ct_zone_equal(a, b, "ORIGINAL") && nf_ct_zone_equal(a, b, "REPLY");
}

/** nf_ct_zone_tmpl: the zone of packet `p`'s template (the default zone without one). */
export function packetZone(sc: Scenario, p: number): Zone {
  return sc.packets[p]!.zone ?? NF_CT_DEFAULT_ZONE;
}

/** nf_ct_zone(ct) of entry `id`: the template zone init_conntrack copied from packet `id`. */
export const nf_ct_zone = packetZone;

/** What a table walk compares zones with: the walker's zone, and every entry's
 * (entry id = packet index). Absent for a scenario without zones: every entry
 * and every walker is then in the default zone, and the walk skips the test. */
export interface ZoneMatch {
  readonly zone: Zone;
  readonly entries: readonly Zone[];
}

/** Each entry's zone, per scenario; null when no packet has a zone. */
const zonesOf = perScenario((sc): readonly Zone[] | null =>
  sc.packets.some((p) => p.zone !== undefined) ? Object.freeze(sc.packets.map((p) => p.zone ?? NF_CT_DEFAULT_ZONE)) : null,
);

/** The ZoneMatch of a walk with `zone` in scenario `sc` (undefined: no zones, no test). */
export function zoneMatch(sc: Scenario, zone: Zone): ZoneMatch | undefined {
  const entries = zonesOf(sc);
  return entries ? { zone, entries } : undefined;
}
