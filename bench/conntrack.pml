/*
 * The bench question in Promela, for SPIN: N packets of one UDP flow, one
 * process (CPU) each, through S1 lookup, S2 init_conntrack, S3 DNAT to one of
 * two endpoints (random), S4 source NAT (null binding), S5 confirm, and with
 * REPLIES defined the reply of each accepted query. KERNEL 50 is v5.0 (937963 +
 * 1032812: merge equal tuples, else drop); KERNEL 56 is v5.6 (then
 * nf_ct_resolve_clash_harder: merge with the entry holding the loser's REPLY
 * tuple, else insert a NAT_CLASH entry; the UDP tracker deletes a NAT_CLASH
 * entry on its first reply).
 *
 * Written to give SPIN its best case: each kernel step is one d_step, what
 * only the packet's own CPU sees (its unconfirmed entry, DNAT's choice) lives
 * in process-local variables so that SPIN's partial-order reduction and
 * statement merging apply, the scratch of the table walks is hidden (not part
 * of the state), and a finished packet's locals are cleared. The shared state
 * is what conntrack-mc's is: the table (which entries are linked, by which
 * nodes, with which REPLY endpoint), nf_nat_bysource membership, each packet's
 * fate, the entry it continues with and its reply, and per CPU the counters
 * insert_failed, drop, clash_resolve.
 *
 *   spin -DN=8 -DKERNEL=50 -a bench/conntrack.pml && cc -O2 -DSAFETY -o pan pan.c && ./pan -c0 -n
 */
#ifndef N
#define N 2
#endif
#ifndef KERNEL
#define KERNEL 50
#endif

#define NONE 255

byte ep[N];          /* a linked entry's REPLY endpoint: 0 or 1 */
bit  linked[N];      /* entry in the hash table */
bit  replyonly[N];   /* NAT_CLASH: linked by its REPLY node only */
bit  bysource[N];    /* in nf_nat_bysource (source NAT set up, not freed) */
byte uses[N];        /* entry the packet continues with */
byte fate[N];        /* 0 pending, 1 accepted, 2 dropped */
byte reply[N];       /* 0 none, 2 delivered, 3 lost */
byte insert_failed[N], drop[N], clash_resolve[N];
hidden byte w, x, j; /* scratch of one d_step's table walk */

/* The entry linked with an ORIGINAL node: every entry has the same ORIGINAL
 * tuple, and at most one such entry exists at a time. */
inline find_orig() {
  w = NONE;
  j = 0;
  do
  :: j < N -> if :: linked[j] && !replyonly[j] -> w = j :: else -> skip fi; j++
  :: else -> break
  od
}

/* The linked entry whose REPLY tuple names endpoint e. */
inline find_reply(e) {
  x = NONE;
  j = 0;
  do
  :: j < N -> if :: linked[j] && ep[j] == e -> x = j :: else -> skip fi; j++
  :: else -> break
  od
}

proctype packet(byte i) {
  bit hit;    /* S1 found the flow's entry */
  bit mine;   /* S2 made an unconfirmed entry (private to this CPU) */
  byte e;     /* DNAT's choice for it */
  /* S1: __nf_conntrack_find_get */
  d_step {
    find_orig();
    if
    :: w != NONE -> uses[i] = w; fate[i] = 1; hit = 1
    :: else -> skip
    fi;
    w = 0; j = 0
  }
  if
  :: hit -> skip
  :: else ->
     /* S2: init_conntrack (private) */
     mine = 1;
     /* S3: DNAT, random endpoint (private) */
     if :: e = 0 :: e = 1 fi;
     /* S4: null binding; with 1032812 an entry of the same flow never counts as taken */
     bysource[i] = 1;
     /* S5: __nf_conntrack_confirm */
     d_step {
       find_orig();
       if
       :: w == NONE -> linked[i] = 1; ep[i] = e; uses[i] = i; fate[i] = 1
       :: w != NONE && ep[w] == e ->
          /* nf_ct_resolve_clash: equal tuples, merge into the winner */
          uses[i] = w; bysource[i] = 0; fate[i] = 1; insert_failed[i]++
       :: w != NONE && ep[w] != e ->
#if KERNEL >= 56
          find_reply(e);
          if
          :: x != NONE -> uses[i] = x; bysource[i] = 0; fate[i] = 1; insert_failed[i]++
          :: else -> linked[i] = 1; replyonly[i] = 1; ep[i] = e; uses[i] = i; fate[i] = 1
          fi
#else
          bysource[i] = 0; fate[i] = 2; drop[i]++; insert_failed[i]++
#endif
       fi;
       w = 0; x = 0; j = 0
     }
  fi;
#ifdef REPLIES
  /* the reply: lookup of the tuple the endpoint answers, UDP tracker, reverse NAT */
  d_step {
    if
    :: fate[i] == 1 ->
       find_reply(ep[uses[i]]);
       if
       :: x == NONE -> reply[i] = 3
       :: else ->
          reply[i] = 2;
#if KERNEL >= 56
          if :: replyonly[x] -> linked[x] = 0 :: else -> skip fi
#endif
          skip
       fi
    :: else -> skip
    fi;
    x = 0; j = 0
  }
#endif
  hit = 0; mine = 0; e = 0
}

init {
  byte k;
  atomic {
    k = 0;
    do
    :: k < N -> run packet(k); k++
    :: else -> break
    od;
    k = 0
  }
}
