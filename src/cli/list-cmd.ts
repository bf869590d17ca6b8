/** `conntrack-mc list [--json]`: built-in scenarios, kernel variants, patches, properties, the functions a patch may override. */
import { listing } from "../app/list.js";
import { renderList } from "../report/list.js";
import { parse } from "./args.js";
import { InputError } from "../errors.js";
import { paint } from "./format.js";
import { LIST_USAGE } from "./usage.js";

export function listCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, { json: { type: "boolean" } }, LIST_USAGE);
  if (positionals.length) throw new InputError(`list: unexpected argument '${positionals[0]}': list takes only --json`);
  const list = listing();
  if (values.json) {
    process.stdout.write(JSON.stringify(list, null, 2) + "\n");
    return 0;
  }
  process.stdout.write(renderList(list, paint()));
  return 0;
}
