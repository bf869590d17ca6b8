/**
 * Stable backports: a modelled commit that reached a stable line after its mainline release, from the first stable
 * release of that line that carries it. "v6.1.147" is v6.1 plus every backport of line 6.1 with `from` <= 147.
 * Each row says where the fact was read (docs/versions.md lists them with their links). A line not listed for a
 * commit did not get it, or no record read says it did.
 */
export interface Backport {
  /** The patch's id (variants.ts PATCHES). */
  readonly id: string;
  /** "6.1": the stable line. */
  readonly line: string;
  /** The first stable release of the line that carries it. */
  readonly from: number;
  /** Where this was read: a CVE record, a stable review mail, a stable tag. */
  readonly source: string;
}

const CVE_2025_38472 = "CVE-2025-38472 (CVEProject/cvelistV5): fixed from this release";
const RC = (mail: string) => `stable review ${mail}`;

export const BACKPORTS: readonly Backport[] = [
  // 07998281c268 (v5.11) "skip identical origin tuple in same zone only". Also queued for 4.19.177
  // (<20210222121024.266130513@linuxfoundation.org>), but it narrows the same-origin skip of 1032812 (v5.0), which no
  // record read puts in 4.19.y: that line is left out rather than given a fix of a test it may not have.
  { id: "07998281c268", line: "5.4", from: 99, source: RC("<20210215152716.540051184@linuxfoundation.org>") },
  { id: "07998281c268", line: "5.10", from: 17, source: "stable-rc 5.10.y push <161340284769.31994.1858896376742292437@gitolite.kernel.org> (commit 3fbab451d170)" },
  // c46172147ebb (v5.9) "do not auto-delete clash entries on reply".
  { id: "c46172147ebb", line: "5.8", from: 8, source: RC("<20200908152245.763167029@linuxfoundation.org>") },
  // b7b1d02fc439 (v5.16) "set on IPS_ASSURED if flows enters internal stream state".
  { id: "b7b1d02fc439", line: "5.4", from: 160, source: RC("<20211115165319.604596785@linuxfoundation.org>") },
  { id: "b7b1d02fc439", line: "5.10", from: 80, source: RC("<20211115165352.765708114@linuxfoundation.org>") },
  // 1397af5bfd7d (v5.19) "remove the percpu dying list": the record of CVE-2025-38472 names it as the cause.
  { id: "1397af5bfd7d", line: "5.18", from: 13, source: "CVE-2025-38472 (CVEProject/cvelistV5): affected from 5.18.13 (stable commit 594cea2c09f7)" },
  // d8f84a9bc7c4 (v6.12) "don't try nat source port reallocation for reverse dir clash", without a4e6a1031e77.
  { id: "d8f84a9bc7c4", line: "6.6", from: 57, source: RC("<20241004182503.3672477-46-sashal@kernel.org> (AUTOSEL), 6.6.57-rc1 <20241014141042.954319779@linuxfoundation.org>") },
  { id: "d8f84a9bc7c4", line: "6.11", from: 4, source: RC("<20241014141044.974962104@linuxfoundation.org>") },
  // 50d9ce9679dd (v6.16) "also check reverse tuple to obtain clashing entry".
  { id: "50d9ce9679dd", line: "6.6", from: 94, source: RC("<20250617152348.831287944@linuxfoundation.org>") },
  { id: "50d9ce9679dd", line: "6.12", from: 34, source: RC("<20250617152434.873509318@linuxfoundation.org>") },
  { id: "50d9ce9679dd", line: "6.15", from: 3, source: RC("<20250617152451.485330293@linuxfoundation.org>") },
  // 2d72afb34065 (v6.16) "fix crash due to removal of uninitialised entry".
  { id: "2d72afb34065", line: "6.1", from: 147, source: CVE_2025_38472 },
  { id: "2d72afb34065", line: "6.6", from: 100, source: CVE_2025_38472 },
  { id: "2d72afb34065", line: "6.12", from: 40, source: CVE_2025_38472 },
  { id: "2d72afb34065", line: "6.15", from: 8, source: CVE_2025_38472 },
  // 5ec8ca26fe93 (v6.19) "remove bogus direction check".
  { id: "5ec8ca26fe93", line: "6.12", from: 64, source: RC("<20260106170453.557156466@linuxfoundation.org>") },
  { id: "5ec8ca26fe93", line: "6.18", from: 3, source: RC("<20251229160727.491260836@linuxfoundation.org>") },
  // 54ab49fde956 (v5.7) "fix infinite loop on rmmod".
  { id: "54ab49fde956", line: "5.6", from: 14, source: RC("<20200518173540.560612351@linuxfoundation.org>") },
  // 35e21a4dccc5 (v7.2) "revert ct extension genid infrastructure".
  { id: "35e21a4dccc5", line: "7.1", from: 5, source: "the revert's merged posting <20260607094954.48892-13-pablo@netfilter.org>, carried by 7.1.5 (its stable review mail not read)" },
  // 7d6a9cdb8d3a (v7.2) "cttimeout: detach dataplane timeout policy and repurpose refcount", CVE-2026-74347.
  { id: "7d6a9cdb8d3a", line: "7.1", from: 5, source: "CVE-2026-74347 (fixed in 7.2); carried by 7.1.5 with the genid revert (its stable review mail not read)" },
  // 8a49fc8d8a3e (v7.0) "Add allow_clash to generic protocol handler": AUTOSEL <20260214212452.782265-21-sashal@kernel.org>.
  { id: "8a49fc8d8a3e", line: "5.10", from: 252, source: RC("5.10.252-rc2 <20260302161007.2523181-1-sashal@kernel.org>") },
  { id: "8a49fc8d8a3e", line: "5.15", from: 202, source: RC("5.15.202-rc2 <20260302160955.2522727-1-sashal@kernel.org>") },
  { id: "8a49fc8d8a3e", line: "6.1", from: 165, source: "linux-stable push with tag v6.1.165 <177262941488.2462245.16425345825153009324@gitolite.kernel.org>" },
  { id: "8a49fc8d8a3e", line: "6.6", from: 128, source: RC("6.6.128-rc2 <20260302160934.2521545-1-sashal@kernel.org>") },
  { id: "8a49fc8d8a3e", line: "6.12", from: 75, source: RC("6.12.75-rc2 <20260302160918.2520730-1-sashal@kernel.org>") },
  { id: "8a49fc8d8a3e", line: "6.18", from: 16, source: "linux-stable push with tag v6.18.16 <177262934198.2461322.11653085857733896986@gitolite.kernel.org>" },
  { id: "8a49fc8d8a3e", line: "6.19", from: 6, source: RC("<20260228173244.1509663-292-sashal@kernel.org>") },
];
