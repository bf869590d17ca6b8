/**
 * What of /etc/resolv.conf decides the race (docs/sre.md): glibc's options single-request and single-request-reopen
 * (the AAAA query after the A answer, on the same or a new socket), use-vc (TCP only: no UDP clash), and whether the
 * nameserver is NodeLocal DNSCache's link-local address. musl's resolver ignores the options.
 */
export interface ResolvConf {
  readonly nameservers: readonly string[];
  readonly singleRequest: boolean;
  readonly singleRequestReopen: boolean;
  readonly useVc: boolean;
  /** The address NodeLocal DNSCache listens on by default (kubernetes.io, nodelocaldns). */
  readonly nodeLocal: boolean;
}

export const NODELOCALDNS_ADDRESS = "169.254.20.10";

export function parseResolvConf(text: string): ResolvConf {
  const lines = text.split("\n").map((l) => l.replace(/[#;].*$/, "").trim()).filter((l) => l !== "");
  const nameservers = lines.flatMap((l) => (/^nameserver\s+/.test(l) ? [l.split(/\s+/)[1]!] : []));
  const options = lines.flatMap((l) => (/^options\s+/.test(l) ? l.split(/\s+/).slice(1) : []));
  return {
    nameservers,
    singleRequest: options.includes("single-request"),
    singleRequestReopen: options.includes("single-request-reopen"),
    useVc: options.includes("use-vc") || options.includes("tcp"),
    nodeLocal: nameservers.includes(NODELOCALDNS_ADDRESS),
  };
}
