// A patch of your own that asks the search for a choice: nf_nat_l4proto_unique_tuple
// starts its search of the --to-ports range at a random port,
// as NF_NAT_RANGE_PROTO_RANDOM does with prandom_u32(), instead of at the shared
// rover. The random port is lib.choose(size): the search explores every port of
// the range, and counts stay the same run to run (Math.random would be refused).
//   conntrack-mc compare examples/scenarios/snat-port-race-8-ports.yaml \
//     --kernels v6.12,v6.12+random-source-port --patch examples/patches/random-source-port.mjs
export default {
  id: "random-source-port",
  title: "nf_nat_l4proto_unique_tuple: start the port search at a random port of the range, not at the rover",
  requires: [],
  apply: (base, lib) => ({
    nf_nat_l4proto_unique_tuple: (st, t, range, random, used, manip) => {
      // DNAT's port is the endpoint's; --random-fully already gives a random offset (the search's
      // own choice); without --to-ports the range (64512 ports) is more than one choose may offer:
      // the rover, as before.
      if (manip === "DST" || random !== undefined || range === undefined || range.max - range.min + 1 > 256) return base.nf_nat_l4proto_unique_tuple(st, t, range, random, used, manip);
      const size = range.max - range.min + 1;
      const start = lib.choose(size);
      // The kernel's loop: from the start, the first port whose tuple is free (the last one tried is taken as it is).
      for (let i = 0; i < size; i++) {
        const port = range.min + ((start + i) % size);
        if (i === size - 1 || !used(lib.tuple(t.src, port, t.dst, t.dport))) return port;
      }
      return range.min;
    },
  }),
};
