/*
 * The bench question in Promela, for SPIN: N packets of one UDP flow, one
 * process (CPU) each, through S1 lookup, S2 init_conntrack, S3 DNAT to one of
 * two endpoints (random), S4 source NAT (null binding), S5 confirm, and with
 * REPLIES defined the reply of each accepted query. KERNEL 50 is v5.0 (937963 +
 * 1032812: merge equal tuples, else drop); KERNEL 56 is v5.6 (then
 * nf_ct_resolve_clash_harder: merge with the entry holding the loser's REPLY
 * tuple, else insert a NAT_CLASH entry; the UDP tracker deletes a NAT_CLASH
 * entry on its first reply). The state mirrors conntrack-mc's: per packet its
 * step, endpoint, entry flags and fate, the entry it continues with, its
 * reply; per CPU the counters insert_failed, drop, clash_resolve.
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

byte ep[N];          /* endpoint DNAT chose: 0 or 1 */
bit  alloc[N];       /* has a (private) entry */
bit  linked[N];      /* entry in the hash table */
bit  replyonly[N];   /* NAT_CLASH: linked by its REPLY node only */
bit  freed[N];       /* entry released (a clash loser) */
bit  bysource[N];    /* in nf_nat_bysource (source NAT set up, not freed) */
byte uses[N];        /* entry the packet continues with */
byte fate[N];        /* 0 pending, 1 accepted, 2 dropped */
byte reply[N];       /* 0 none, 1 pending, 2 delivered, 3 lost */
byte insert_failed[N], drop[N], clash_resolve[N];

/* The entry linked with an ORIGINAL node: every entry has the same ORIGINAL
 * tuple, and at most one such entry exists at a time. */
inline find_orig(w) {
  w = NONE;
  j = 0;
  do
  :: j < N -> if :: linked[j] && !replyonly[j] -> w = j :: else -> skip fi; j++
  :: else -> break
  od
}

/* The linked entry whose REPLY tuple names endpoint e (REPLY nodes of all). */
inline find_reply(e, x) {
  x = NONE;
  j = 0;
  do
  :: j < N -> if :: linked[j] && ep[j] == e -> x = j :: else -> skip fi; j++
  :: else -> break
  od
}

proctype packet(byte i) {
  byte w, x, j, e;
  /* S1: __nf_conntrack_find_get (one indivisible step: d_step) */
  d_step {
    find_orig(w);
    if
    :: w != NONE -> uses[i] = w; fate[i] = 1
    :: else -> skip
    fi
  }
  if :: fate[i] == 1 -> goto answered :: else -> skip fi;
  /* S2: init_conntrack (private) */
  alloc[i] = 1; uses[i] = i;
  /* S3: DNAT, random endpoint */
  if :: ep[i] = 0 :: ep[i] = 1 fi;
  /* S4: null binding; with 1032812 an entry of the same flow never counts as
   * taken, so the port stays */
  d_step { bysource[i] = 1 }
  /* S5: __nf_conntrack_confirm */
  d_step {
    find_orig(w);
    if
    :: w == NONE -> linked[i] = 1; fate[i] = 1
    :: w != NONE && ep[w] == ep[i] ->
       /* nf_ct_match: merge */
       uses[i] = w; freed[i] = 1; bysource[i] = 0; fate[i] = 1;
#if KERNEL >= 56
       insert_failed[i]++
#else
       insert_failed[i]++
#endif
    :: w != NONE && ep[w] != ep[i] ->
#if KERNEL >= 56
       find_reply(ep[i], x);
       if
       :: x != NONE -> uses[i] = x; freed[i] = 1; bysource[i] = 0; fate[i] = 1; insert_failed[i]++
       :: else -> linked[i] = 1; replyonly[i] = 1; fate[i] = 1
       fi
#else
       freed[i] = 1; bysource[i] = 0; fate[i] = 2; drop[i]++; insert_failed[i]++
#endif
    fi
  }
answered:
#ifdef REPLIES
  if
  :: fate[i] == 1 ->
     /* the reply: lookup of the tuple the endpoint answers, UDP tracker, reverse NAT */
     d_step {
       if :: alloc[i] -> e = ep[i] :: else -> e = ep[uses[i]] fi;
       find_reply(e, x);
       if
       :: x == NONE -> reply[i] = 3
       :: else ->
          reply[i] = 2;
#if KERNEL >= 56
          if :: replyonly[x] -> linked[x] = 0 :: else -> skip fi
#endif
       fi
     }
  :: else -> skip
  fi
#endif
  skip
}

init {
  byte k;
  atomic {
    k = 0;
    do
    :: k < N -> run packet(k); k++
    :: else -> break
    od
  }
}
