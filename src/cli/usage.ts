/** Every property, as --property takes them (test/cli.test.ts checks this is the table of properties). */
const PROPERTY_NAMES = "no-drop,all-replied,no-crash,no-lost-entry,no-needless-rewrite,no-stale-mapping,flush-empties,no-freed-policy,no-warn,no-stale-ct,timeout-as-set";
/** Every command's usage text, apart from the commands: dispatch shows them all for --help
 * without loading a command it does not run. */
export const SEARCH_USAGE = "[--patch FILE.mjs]... [--order bfs|dfs] [--reduce symmetry|por|all|none | --no-reduce] [--max-states N] [--max-seconds S] [--max-memory MiB]";

export const WORKERS_USAGE = "[--workers N|auto]";

export const CHECK_USAGE = `usage: conntrack-mc check <scenario> [--kernel <version>[+patch...]] [--property ${PROPERTY_NAMES}] [--first] [--json] [--html FILE]
         ${SEARCH_USAGE} ${WORKERS_USAGE}`;

export const COMPARE_USAGE = `usage: conntrack-mc compare <scenario>... [--kernels v1,v2,...] [--base V] [--fail-on new|worse|any]
         [--json | --markdown] [--probability] [--property ${PROPERTY_NAMES}] [--out FILE] [--html FILE] ${SEARCH_USAGE}`;

export const LIST_USAGE = "usage: conntrack-mc list [--json]";

export const LIVE_USAGE = "usage: conntrack-mc live <scenario> [--tries N] [--sendmmsg] [--json]   (root; builds network namespaces)";

export const PROVE_USAGE = "usage: conntrack-mc prove [claim...] [--dir DIR] [--patch FILE.mjs]... [--json] [--results FILE]";

export const REVIEW_USAGE = `usage: conntrack-mc review <patch.mjs | patch-id>... [scenario...] [--base <variant>] [--fail-on new|worse|any]
         [--json | --markdown] [--probability] [--out FILE] [--html FILE] ${SEARCH_USAGE}
         (--patch FILE loads a patch of your own for --base only: the positional patches are the ones reviewed)`;

export const TRACE_USAGE = `usage: conntrack-mc trace <scenario> [--kernel <version>[+patch...]] [--against <variant>] [--class <race1|race2|race3|...>]
         [--format text|mermaid|itf|json|html|dot] [--out FILE] [--property ${PROPERTY_NAMES}] [--first] ${SEARCH_USAGE} ${WORKERS_USAGE}`;

export const DIAGNOSE_USAGE = `usage: conntrack-mc diagnose [--kernel <uname -r or version>] [--conntrack-stats FILE [--conntrack-stats LATER]] [--resolv-conf FILE]
         [--endpoints N] [--nodelocaldns] [--proxy iptables|ipvs|nftables] [--json] [--html FILE] ${SEARCH_USAGE}
         (without --kernel it reads this node: uname -r, conntrack -S or /proc/net/stat/nf_conntrack, /etc/resolv.conf)`;
