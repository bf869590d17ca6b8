/**
 * A packet's conntrack zone as a scenario gives it (struct nf_conntrack_zone, include/net/netfilter/nf_conntrack_zones.h):
 * the setting; kernel/net/zone.ts holds what the kernel does with it.
 */
/** NF_CT_ZONE_DIR_ORIG and NF_CT_ZONE_DIR_REPL: the bits of zone.dir. */
export const NF_CT_ZONE_DIR_ORIG = 1 << 0;
export const NF_CT_ZONE_DIR_REPL = 1 << 1;
/** NF_CT_DEFAULT_ZONE_DIR: both directions. */
export const NF_CT_DEFAULT_ZONE_DIR = NF_CT_ZONE_DIR_ORIG | NF_CT_ZONE_DIR_REPL;

export interface Zone {
  /** 0 to 65535. */
  readonly id: number;
  /** The directions the id applies to: NF_CT_ZONE_DIR_ORIG | NF_CT_ZONE_DIR_REPL. */
  readonly dir: number;
}

