// TCP health's per-segment work (src/flow/tcp-health.ts: tcpOpen, tcpSegment → step / full
// and their helpers) in C for WebAssembly: a measurement for issue 9 (bench/wasm-tcp.mjs,
// which builds it with clang; bench/README.md, "The TCP step in WebAssembly"). Not used by
// pantap. Line for line the TypeScript's logic over the same block layout: I and F are the
// same bytes as int32 words and doubles from ARENA, a block is TCP_WORDS words at word
// `base`, so the caller can compare every word of every block with a TcpArena's.
// JS semantics kept where they differ from C's: int32 arithmetic wraps (`| 0`: done in
// uint32), values JS holds as doubles (relative positions past 2^31, `>>> 0`) are doubles.
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef int32_t i32;

/** The arena's first byte in the module's memory (above the statics and the 64 KiB stack; checked by the caller). */
#ifndef ARENA
#define ARENA 262144
#endif
#define I ((i32 *)ARENA)
#define F ((double *)ARENA)

static inline i32 add32(i32 a, i32 b) { return (i32)((u32)a + (u32)b); }
static inline i32 sub32(i32 a, i32 b) { return (i32)((u32)a - (u32)b); }

enum {
  A_ZWP = 1, A_ZW = 2, A_KA = 4, A_KA_ACK = 8, A_ZWP_ACK = 16, A_DUPACK = 32, A_SPURIOUS = 64,
  A_FAST = 128, A_OOO = 256, A_RETRANS = 512, A_LOST = 1024, A_ACK_LOST = 2048
};
enum { SYN = 0x02, FIN = 0x01, RST = 0x04, ACK = 0x10 };
#define FAST_RETRANS_US 20000.0
#define OOO_DEFAULT_US 3000.0
enum { Z_INACTIVE = 0, Z_SYN_SENT = 1, Z_SYN_ACK_SENT = 2, Z_PARTIAL = 3, Z_ESTABLISHED = 4, Z_CLOSED = 5, Z_RESET = 6 };
enum { H_SYN = 0x1, H_FIN = 0x2, H_RST = 0x4, H_FIN_RST = 0x8, H_DATA = 0x10, H_ACK = 0x20, H_MULTI = 0x40 };
#define TOO_LARGE_SEQ_DELTA 1048576
#define HISTORY_MAX 64
#define CH_A 0x41

enum {
  TCP_WORDS = 160, SIDE = 64,
  S_LASTACK = 0, S_WINDOW = 1, S_MAXSEQ = 2, S_ZSTART = 3, S_ZACK = 4, S_READY = 5, S_NEXTSEQ = 6,
  S_ZLAST = 7, S_DUPACKNUM = 8, S_LASTFLAGS = 9, D_TRIM = 5, D_REASSEM = 6, W_LASTAF = 14, W_ORIG = 15,
  D_PAYLOAD = 8, D_NEXTSEQ_T = 9, D_LASTACK_T = 10, D_OOOHI = 12,
  S_PACKETS = 28, S_DATASEGS = 29, S_MAXSEG = 30,
  C_WBASESET = 32, C_WBASE = 33, C_ZSTATE = 34, C_ZPREV = 35, C_FIN = 36, C_FINSEQ = 37, C_LASTSYN = 38,
  C_LASTFIN = 39, C_LASTRST = 40, C_RETRANS = 41, C_DATARETRANS = 42, C_FAST = 43, C_SPURIOUS = 44,
  C_OOO = 45, C_DUPACKS = 46, C_ZEROWIN = 47, C_ZWP = 48, C_KEEPALIVES = 49, C_LOSTSEG = 50,
  C_ACKEDUNSEEN = 51, C_MSS = 52, C_WSCALE = 53, C_RXMTCNT = 54, C_RXMTTHRESH = 55, C_WIN0CNT = 56,
  C_WIN0THRESH = 57, C_GAPCNT = 58, C_GAPTHRESH = 59, D_OOOLO = 30,
  G_T = 64, T_FIRST_RTT = 0, T_MRU_SYN = 1, T_LAST_SYN = 2, T_SYNACK_RTT = 3, T_LAST_SYNACK = 4, T_ACK_RTT = 5,
  W_MRUSYN = 140, W_HISTSEEN = 141, W_HISTLEN = 142, W_HISTDROPPED = 143, W_HIST = 144,
  READY = 4, READY_ACK = 1, READY_DATA = 2
};

/** The packet's capture time (µs): setTcpClock()'s NOW, given with each call. */
static double NOW;

static void pending(i32 base, int isOrig, int data);
static void refreshReady(i32 base);
static i32 full(i32 base, i32 dir, i32 seq, i32 ack, i32 flags, i32 win, i32 len);
static void ackPastReassembly(i32 base, i32 e, i32 p, int epIsOrig, double up);
static void dataSent(i32 s, double rel, i32 len);
static int check(i32 base, int isOrig, i32 mask, i32 code);
static void add(i32 base, int isOrig, i32 code);

static inline double maxZero(double d) { return d > 0 ? d : 0; } // Math.max(0, d) for the non-NaN d here (-0 → +0)

void tcp_open(i32 base, i32 originator) {
  for (i32 i = base; i < base + TCP_WORDS; i++) I[i] = 0;
  I[base + W_ORIG] = originator == 1 ? 1 : 0;
  for (i32 s = base; s <= base + SIDE; s += SIDE) {
    I[s + S_WINDOW] = -1;
    F[(s >> 1) + D_REASSEM] = 1;
    I[s + C_MSS] = -1;
    I[s + C_WSCALE] = -1;
    I[s + C_RXMTTHRESH] = 1;
    I[s + C_WIN0THRESH] = 1;
    I[s + C_GAPTHRESH] = 1;
  }
  i32 t = (base >> 1) + G_T;
  F[t + T_LAST_SYN] = F[t + T_SYNACK_RTT] = F[t + T_LAST_SYNACK] = F[t + T_ACK_RTT] = -1;
}

/** options(): b[0, n) are the option bytes (the caller bounds n by its buffer, as Math.min(off + n, b.length)). */
static void options(i32 s, const u8 *b, i32 n) {
  i32 end = n;
  i32 p = 0;
  while (p < end) {
    i32 kind = b[p];
    if (kind == 0) break;
    if (kind == 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) break;
    i32 olen = b[p + 1];
    if (olen < 2 || p + olen > end) break;
    if (kind == 2 && olen >= 4 && I[s + C_MSS] < 0) I[s + C_MSS] = (b[p + 2] << 8) | b[p + 3];
    else if (kind == 3 && olen >= 3 && I[s + C_WSCALE] < 0) I[s + C_WSCALE] = b[p + 2];
    p += olen;
  }
}

static i32 step(i32 base, i32 dir, i32 seq, i32 ack, i32 flags, i32 win, i32 len) {
  i32 f = dir == 1 ? base + SIDE : base;
  i32 nextseq = I[f + S_NEXTSEQ];
  if ((flags & (SYN | FIN | RST | ACK)) == ACK && seq == nextseq && nextseq != 0 && win != 0 && (I[f + S_READY] & READY) != 0 && (dir == 0 || dir == 1)) {
    i32 r = dir == 1 ? base : base + SIDE;
    i32 lastack = I[f + S_LASTACK];
    i32 last = add32(seq, len);
    i32 deltaLast = sub32(last, I[f + S_ZLAST]);
    i32 revMax = I[r + S_MAXSEQ];
    i32 revLastack = I[r + S_LASTACK];
    if ((len > 0 ? deltaLast > 0 && !(len == 1 && I[r + S_WINDOW] == 0) && (revLastack == 0 || sub32(last, revLastack) > 0) : win != I[f + S_WINDOW] || ack != lastack) &&
        (revMax == 0 || sub32(ack, revMax) <= 0)) {
      i32 orig = I[base + W_ORIG];
      if ((I[f + S_READY] & (len > 0 ? READY_DATA : READY_ACK)) == 0) pending(base, dir == orig, len > 0);
      double now = NOW;
      i32 fd = f >> 1;
      // Wireshark
      I[f + S_PACKETS] = add32(I[f + S_PACKETS], 1);
      if (len > 0) {
        F[fd + D_PAYLOAD] += len;
        I[f + S_DATASEGS] = add32(I[f + S_DATASEGS], 1);
        if (len > I[f + S_MAXSEG]) I[f + S_MAXSEG] = len;
        I[f + S_NEXTSEQ] = last;
        F[fd + D_NEXTSEQ_T] = now;
      }
      if (ack != lastack) I[f + S_DUPACKNUM] = 0;
      i32 max = I[f + S_MAXSEQ];
      if (seq == max || max == 0) I[f + S_MAXSEQ] = last;
      I[f + S_WINDOW] = win;
      I[f + S_LASTACK] = ack;
      F[fd + D_LASTACK_T] = now;
      I[f + S_LASTFLAGS] = 0;
      // Zeek
      i32 relAck = sub32(ack, I[r + S_ZSTART]);
      if (relAck >= 0) {
        i32 delta = sub32(ack, I[r + S_ZACK]);
        if (delta > 0 && !(ack == 0 && delta > TOO_LARGE_SEQ_DELTA)) I[r + S_ZACK] = ack;
        i32 rd = r >> 1;
        if (relAck > F[rd + D_TRIM]) {
          F[rd + D_TRIM] = relAck;
          if (relAck > F[rd + D_REASSEM]) ackPastReassembly(base, r, f, dir != orig, relAck);
        }
      }
      if (deltaLast > 0) I[f + S_ZLAST] = last;
      if (len > 0) {
        i32 relSeq = sub32(seq, I[f + S_ZSTART]);
        if (relSeq >= 0) dataSent(f, relSeq, len);
      }
      return 0;
    }
  }
  i32 af = full(base, dir, seq, ack, flags, win, len);
  refreshReady(base);
  return af;
}

/** tcpSegment(): `optLen` bytes of options at `opts` (0 when the TypeScript gets null), `now` the clock. */
i32 tcp_segment(i32 base, i32 dir, i32 seq, i32 ack, i32 flags, i32 window, i32 payloadLen, const u8 *opts, i32 optLen, double now) {
  NOW = now;
  if ((flags & SYN) != 0 && optLen > 0) options(dir == 1 ? base + SIDE : base, opts, optLen);
  i32 af = step(base, dir, seq, ack, flags, window, payloadLen > 0 ? payloadLen : 0);
  I[base + W_LASTAF] = af;
  return af;
}

static void pending(i32 base, int isOrig, int data) {
  i32 t = (base >> 1) + G_T;
  double now = NOW;
  if (isOrig && F[t + T_ACK_RTT] < 0 && F[t + T_LAST_SYNACK] >= 0) F[t + T_ACK_RTT] = maxZero(now - F[t + T_LAST_SYNACK]);
  if (I[base + W_MRUSYN] != 0 && F[t + T_MRU_SYN] != 0 && F[t + T_FIRST_RTT] == 0) F[t + T_FIRST_RTT] = now - F[t + T_MRU_SYN];
  if (data) check(base, isOrig, H_DATA, 0x44);
  else check(base, isOrig, H_ACK, CH_A);
  refreshReady(base);
}

static i32 ready(i32 s, i32 p, int quiet, i32 seen) {
  i32 z = I[s + C_ZSTATE];
  if (I[p + C_FIN] != 0 || z == Z_INACTIVE || z == Z_RESET || I[p + C_ZSTATE] == Z_INACTIVE) return 0;
  if (!quiet) return READY;
  return READY | ((seen & H_ACK) != 0 ? READY_ACK : 0) | ((seen & H_DATA) != 0 ? READY_DATA : 0);
}

static void refreshReady(i32 base) {
  i32 t = (base >> 1) + G_T;
  int quiet = !(I[base + W_MRUSYN] != 0 && F[t + T_MRU_SYN] != 0 && F[t + T_FIRST_RTT] == 0);
  int ackRttPending = F[t + T_ACK_RTT] < 0 && F[t + T_LAST_SYNACK] >= 0;
  u32 seen = (u32)I[base + W_HISTSEEN];
  i32 orig = I[base + W_ORIG];
  i32 s1 = base + SIDE;
  int both = I[base + C_WBASESET] != 0 && I[s1 + C_WBASESET] != 0;
  I[base + S_READY] = both ? ready(base, s1, quiet && !(orig == 0 && ackRttPending), (i32)(orig == 0 ? seen : seen >> 16)) : 0;
  I[s1 + S_READY] = both ? ready(s1, base, quiet && !(orig == 1 && ackRttPending), (i32)(orig == 1 ? seen : seen >> 16)) : 0;
}

static void resetAnalysis(i32 s) {
  I[s + C_WBASESET] = 0;
  I[s + C_WBASE] = 0;
  I[s + S_NEXTSEQ] = 0;
  F[(s >> 1) + D_NEXTSEQ_T] = 0;
  I[s + S_LASTACK] = 0;
  F[(s >> 1) + D_LASTACK_T] = 0;
  I[s + S_WINDOW] = -1;
  I[s + S_DUPACKNUM] = 0;
  I[s + S_LASTFLAGS] = 0;
  I[s + S_MAXSEQ] = 0;
}

static void count(i32 s, i32 af, i32 len) {
  if (len > 0 && (af & (A_RETRANS | A_FAST | A_SPURIOUS)) != 0) I[s + C_DATARETRANS]++;
  if (af & A_ZWP) I[s + C_ZWP]++;
  if (af & A_ZW) I[s + C_ZEROWIN]++;
  if (af & A_KA) I[s + C_KEEPALIVES]++;
  if (af & A_DUPACK) I[s + C_DUPACKS]++;
  if (af & A_SPURIOUS) I[s + C_SPURIOUS]++;
  if (af & A_FAST) I[s + C_FAST]++;
  if (af & A_OOO) I[s + C_OOO]++;
  if (af & A_RETRANS) I[s + C_RETRANS]++;
  if (af & A_LOST) I[s + C_LOSTSEG]++;
  if (af & A_ACK_LOST) I[s + C_ACKEDUNSEEN]++;
}

static void setState(i32 s, i32 z) {
  i32 cur = I[s + C_ZSTATE];
  if (z != cur) {
    I[s + C_ZPREV] = cur;
    I[s + C_ZSTATE] = z;
  }
}

static int isClean(i32 s) {
  i32 z = I[s + C_ZSTATE];
  return z == Z_ESTABLISHED || (z == Z_CLOSED && I[s + C_ZPREV] == Z_ESTABLISHED);
}

static i32 nextThreshold(i32 t) { return t < 1000000000 ? (i32)((u32)t * 10u) : 0; }

static void add(i32 base, int isOrig, i32 code) {
  i32 n = I[base + W_HISTLEN];
  if (n == HISTORY_MAX) {
    I[base + W_HISTDROPPED]++;
    return;
  }
  I[base + W_HIST + (n >> 2)] |= (i32)((u32)(isOrig ? code : code + 32) << ((n & 3) << 3));
  I[base + W_HISTLEN] = n + 1;
}

static int check(i32 base, int isOrig, i32 mask, i32 code) {
  i32 m = isOrig ? mask : mask << 16;
  i32 seen = I[base + W_HISTSEEN];
  if ((seen & m) == 0) {
    I[base + W_HISTSEEN] = seen | m;
    add(base, isOrig, code);
    return 0;
  }
  return 1;
}

static void historyFlags(i32 base, i32 e, int isOrig, int syn, int fin, int rst, int hasAck, i32 relSeq, i32 len) {
  int bits = syn + fin + rst;
  if (bits > 1) {
    if (fin && rst) check(base, isOrig, H_FIN_RST, 0x49);
    else check(base, isOrig, H_MULTI, 0x51);
  } else if (syn) {
    i32 code = hasAck ? 0x48 : 0x53;
    if (check(base, isOrig, H_SYN, code) && relSeq != I[e + C_LASTSYN]) add(base, isOrig, code);
    I[e + C_LASTSYN] = relSeq;
  } else if (fin) {
    i32 at = add32(relSeq, len);
    if (check(base, isOrig, H_FIN, 0x46) && at != I[e + C_LASTFIN]) add(base, isOrig, 0x46);
    I[e + C_LASTFIN] = at;
  } else {
    if (check(base, isOrig, H_RST, 0x52) && relSeq != I[e + C_LASTRST]) add(base, isOrig, 0x52);
    I[e + C_LASTRST] = relSeq;
  }
}

static void dataSent(i32 s, double rel, i32 len) {
  double acked = (double)((u32)I[s + S_ZACK] - (u32)I[s + S_ZSTART]);
  double lo = rel;
  double hi = rel + len;
  if (lo < acked) {
    if (hi <= acked) return;
    lo = acked;
  }
  i32 d = s >> 1;
  double reassem = F[d + D_REASSEM];
  double oooHi = F[d + D_OOOHI];
  if (lo <= reassem) {
    double upto = hi > reassem ? hi : reassem;
    F[d + D_REASSEM] = upto;
    if (oooHi > 0 && F[d + D_OOOLO] <= upto) {
      if (oooHi > upto) F[d + D_REASSEM] = oooHi;
      F[d + D_OOOLO] = F[d + D_OOOHI] = 0;
    }
  } else if (oooHi > 0) {
    if (lo < F[d + D_OOOLO]) F[d + D_OOOLO] = lo;
    if (hi > oooHi) F[d + D_OOOHI] = hi;
  } else {
    F[d + D_OOOLO] = lo;
    F[d + D_OOOHI] = hi;
  }
}

static void gap(i32 base, i32 e, int isOrig) {
  i32 n = I[e + C_GAPCNT] + 1;
  I[e + C_GAPCNT] = n;
  if (n == I[e + C_GAPTHRESH]) {
    add(base, isOrig, 0x47);
    I[e + C_GAPTHRESH] = nextThreshold(I[e + C_GAPTHRESH]);
  }
}

static void ackPastReassembly(i32 base, i32 e, i32 p, int epIsOrig, double up) {
  i32 z = I[e + C_ZSTATE];
  if (up <= 2 && (z == Z_PARTIAL || z == Z_INACTIVE)) return;
  int clean = isClean(e) && isClean(p);
  i32 d = e >> 1;
  if (F[d + D_OOOHI] > F[d + D_OOOLO] && F[d + D_OOOLO] < up) {
    if (clean) gap(base, e, epIsOrig);
    F[d + D_REASSEM] = F[d + D_OOOHI];
    F[d + D_OOOLO] = F[d + D_OOOHI] = 0;
  }
  if (up > F[d + D_REASSEM]) {
    if (clean) gap(base, e, epIsOrig);
    F[d + D_REASSEM] = up;
  }
}

static void stateMachine(i32 e, i32 p, int isOrig, i32 seq, int syn, int fin, int rst, int hasAck, i32 len) {
  switch (I[e + C_ZSTATE]) {
    case Z_INACTIVE: {
      if (syn) {
        if (isOrig) setState(e, hasAck ? Z_SYN_ACK_SENT : Z_SYN_SENT);
        else {
          if (!hasAck && I[p + C_ZSTATE] == Z_SYN_ACK_SENT && seq == I[e + S_ZSTART]) setState(p, Z_ESTABLISHED);
          if (I[p + C_ZSTATE] == Z_SYN_SENT) setState(p, Z_ESTABLISHED);
          setState(e, Z_ESTABLISHED);
        }
      }
      if (fin) setState(e, Z_CLOSED);
      if (rst) setState(e, Z_RESET);
      if (I[e + C_ZSTATE] == Z_INACTIVE) {
        i32 origSide = isOrig ? e : p;
        if (!isOrig && len == 0 && I[origSide + C_ZSTATE] == Z_SYN_SENT) {
          // an ACK of the SYN before the SYN-ACK: not a partial connection
        } else if (hasAck && I[p + C_ZSTATE] == Z_ESTABLISHED) setState(e, Z_ESTABLISHED);
        else setState(e, Z_PARTIAL);
      }
      break;
    }
    case Z_SYN_SENT:
    case Z_SYN_ACK_SENT:
      if (fin) setState(e, Z_CLOSED);
      if (rst) setState(e, Z_RESET);
      break;
    case Z_ESTABLISHED:
    case Z_PARTIAL:
      if (syn && I[e + C_ZSTATE] == Z_PARTIAL && I[p + C_ZSTATE] == Z_INACTIVE && !hasAck) setState(e, Z_SYN_SENT);
      if (fin && !rst) {
        setState(e, Z_CLOSED);
        if (I[p + C_ZSTATE] == Z_RESET && I[p + C_ZPREV] == Z_CLOSED) setState(p, Z_CLOSED);
      }
      if (rst) setState(e, Z_RESET);
      break;
    case Z_CLOSED:
      if (rst && I[p + C_ZSTATE] != Z_CLOSED) setState(e, Z_RESET);
      break;
    default:
      break;
  }
}

static i32 full(i32 base, i32 dir, i32 seq, i32 ack, i32 flags, i32 win, i32 len) {
  i32 t = (base >> 1) + G_T;
  i32 f = dir == 1 ? base + SIDE : base;
  i32 r = dir == 1 ? base : base + SIDE;
  i32 fd = f >> 1;
  i32 rd = r >> 1;
  int isOrig = dir == I[base + W_ORIG];
  double now = NOW;
  int syn = (flags & SYN) != 0;
  int fin = (flags & FIN) != 0;
  int rst = (flags & RST) != 0;
  int hasAck = (flags & ACK) != 0;
  i32 sfr = flags & (SYN | FIN | RST);

  I[f + S_PACKETS] = add32(I[f + S_PACKETS], 1);
  if (len > 0) {
    F[fd + D_PAYLOAD] += len;
    I[f + S_DATASEGS] = add32(I[f + S_DATASEGS], 1);
    if (len > I[f + S_MAXSEG]) I[f + S_MAXSEG] = len;
  }

  // Handshake timing.
  if (syn) {
    if (!hasAck) {
      if (isOrig) F[t + T_LAST_SYN] = now;
    } else if (!isOrig) {
      if (F[t + T_SYNACK_RTT] < 0 && F[t + T_LAST_SYN] >= 0) F[t + T_SYNACK_RTT] = maxZero(now - F[t + T_LAST_SYN]);
      F[t + T_LAST_SYNACK] = now;
    }
  } else if (hasAck && !rst && isOrig && F[t + T_ACK_RTT] < 0 && F[t + T_LAST_SYNACK] >= 0) F[t + T_ACK_RTT] = maxZero(now - F[t + T_LAST_SYNACK]);

  // ---- Wireshark ----
  if (syn && I[f + C_WBASESET] != 0) {
    if (!hasAck) {
      if (seq != I[f + C_WBASE]) {
        resetAnalysis(f);
        resetAnalysis(r);
        I[base + W_MRUSYN] = 0;
        F[t + T_MRU_SYN] = 0;
        F[t + T_FIRST_RTT] = 0;
      } else {
        I[f + S_NEXTSEQ] = I[f + S_MAXSEQ];
      }
    } else if (seq != I[f + C_WBASE]) I[f + C_WBASE] = seq;
  }
  if (I[f + C_WBASESET] == 0) {
    I[f + C_WBASE] = syn ? seq : sub32(seq, 1);
    I[f + C_WBASESET] = 1;
  }
  if (hasAck && I[r + C_WBASESET] == 0) {
    I[r + C_WBASE] = sub32(ack, 1);
    I[r + C_WBASESET] = 1;
  }
  i32 nextseq = I[f + S_NEXTSEQ];
  i32 lastack = I[f + S_LASTACK];
  i32 af = 0;
  if (len == 1 && seq == nextseq && I[r + S_WINDOW] == 0) {
    af = A_ZWP;
  } else {
    if (win == 0 && sfr == 0) af |= A_ZW;
    if (nextseq != 0 && sub32(seq, nextseq) > 0 && !rst) af |= A_LOST;
    if (len <= 1 && seq == sub32(nextseq, 1) && sfr == 0) af |= A_KA;
    if (len == 0 && win == I[f + S_WINDOW] && seq == nextseq && ack == lastack && sfr == 0) {
      if (win != 0 && (I[r + S_LASTFLAGS] & A_KA) != 0) af |= A_KA_ACK;
      else if (win == 0) {
        if ((I[r + S_LASTFLAGS] & A_ZWP) != 0) af |= A_ZWP_ACK;
      } else {
        i32 n = I[f + S_DUPACKNUM];
        I[f + S_DUPACKNUM] = n == -1 ? 1 : n >= 2 ? 2 : n + 1;
        af |= A_DUPACK;
      }
    }
  }
  if (ack != lastack) I[f + S_DUPACKNUM] = 0;
  i32 revMax = I[r + S_MAXSEQ];
  if (hasAck && revMax != 0 && sub32(ack, revMax) > 0) {
    if (sub32(revMax, I[r + S_NEXTSEQ]) < 0) {
      I[r + S_MAXSEQ] = I[r + S_NEXTSEQ];
      af |= A_ACK_LOST;
    } else {
      if (I[r + S_DUPACKNUM] == 0) af |= A_ACK_LOST;
      I[r + S_DUPACKNUM] = -1;
    }
  }
  int synFin = syn || fin;
  if ((len > 0 || synFin) && (af & A_KA) == 0) {
    i32 revLastack = I[r + S_LASTACK];
    if (len > 0 && revLastack != 0 && sub32(add32(seq, len), revLastack) <= 0) {
      af |= A_SPURIOUS;
    } else if (nextseq != 0 && sub32(seq, nextseq) < 0 && !(len > 1 && sub32(nextseq, 1) == seq)) {
      double tAck = now - F[rd + D_LASTACK_T];
      double tSeq = now - F[fd + D_NEXTSEQ_T];
      double firstRtt = F[t + T_FIRST_RTT];
      double oooThres = firstRtt == 0 ? OOO_DEFAULT_US : firstRtt;
      if (I[r + S_DUPACKNUM] >= 2 && revLastack == seq && tAck >= 0 && tAck < FAST_RETRANS_US) af |= A_FAST;
      else if (tSeq >= 0 && tSeq < oooThres && nextseq != add32(add32(seq, len), synFin ? 1 : 0)) af |= A_OOO;
      else af |= A_RETRANS;
    }
  }
  if ((af & A_ZWP) == 0) {
    i32 next = add32(seq, len);
    if (synFin) next = add32(next, 1);
    if (sub32(next, nextseq) > 0 || nextseq == 0) {
      I[f + S_NEXTSEQ] = next;
      F[fd + D_NEXTSEQ_T] = now;
    }
    i32 max = I[f + S_MAXSEQ];
    if (seq == max || max == 0) I[f + S_MAXSEQ] = I[f + S_NEXTSEQ];
  }
  I[f + S_WINDOW] = win;
  I[f + S_LASTACK] = ack;
  F[fd + D_LASTACK_T] = now;
  I[f + S_LASTFLAGS] = af;
  if (af != 0) count(f, af, len);

  if (syn) {
    if (!hasAck) {
      F[t + T_MRU_SYN] = now;
      I[base + W_MRUSYN] = 1;
    }
  } else if (hasAck && I[base + W_MRUSYN] != 0 && F[t + T_MRU_SYN] != 0 && F[t + T_FIRST_RTT] == 0) F[t + T_FIRST_RTT] = now - F[t + T_MRU_SYN];

  // ---- Zeek ----
  i32 segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0);
  if (rst) segLen -= len;
  i32 last = add32(seq, segLen);

  i32 zs = I[f + C_ZSTATE];
  if (zs == Z_INACTIVE) {
    if (syn) {
      I[f + S_ZSTART] = I[f + S_ZACK] = seq;
      I[f + S_ZLAST] = last;
    } else {
      I[f + S_ZSTART] = I[f + S_ZACK] = sub32(seq, 1);
      I[f + S_ZLAST] = seq;
    }
  } else if (syn && (zs == Z_ESTABLISHED || zs == Z_PARTIAL || ((zs == Z_SYN_SENT || zs == Z_SYN_ACK_SENT) && seq != I[f + S_ZSTART]) || (zs == Z_RESET && I[f + C_ZPREV] == Z_INACTIVE))) {
    I[f + S_ZSTART] = I[f + S_ZACK] = seq;
    I[f + S_ZLAST] = last;
  }
  i32 relSeq = sub32(seq, I[f + S_ZSTART]);

  if (sfr == 0) {
    if (len > 0) check(base, isOrig, H_DATA, 0x44);
    else if (hasAck) check(base, isOrig, H_ACK, CH_A);
  } else historyFlags(base, f, isOrig, syn, fin, rst, hasAck, relSeq, len);

  if (win == 0 && !rst && I[r + C_ZSTATE] != Z_CLOSED && zs != Z_RESET) {
    i32 n = I[f + C_WIN0CNT] + 1;
    I[f + C_WIN0CNT] = n;
    if (n == I[f + C_WIN0THRESH]) {
      add(base, isOrig, 0x57);
      I[f + C_WIN0THRESH] = nextThreshold(I[f + C_WIN0THRESH]);
    }
  }
  if (fin) {
    I[f + C_FIN] = 1;
    I[f + C_FINSEQ] = add32(relSeq, segLen);
  }

  i32 relAck = 0;
  if (hasAck) {
    if (I[r + C_ZSTATE] == Z_INACTIVE) {
      relAck = 1;
      I[r + S_ZSTART] = I[r + S_ZACK] = I[r + S_ZLAST] = sub32(ack, 1);
    } else {
      i32 a = sub32(ack, I[r + S_ZSTART]);
      if (a >= 0) {
        relAck = a;
        if (!rst) {
          i32 delta = sub32(ack, I[r + S_ZACK]);
          if (delta > 0 && !(ack == 0 && delta > TOO_LARGE_SEQ_DELTA)) I[r + S_ZACK] = ack;
        }
      }
    }
  }

  i32 zLast = I[f + S_ZLAST];
  i32 deltaLast = sub32(last, zLast);
  if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
    // untrusted jump
  } else if (fin && zLast == add32(I[f + S_ZSTART], 1)) I[f + S_ZLAST] = last;
  else if (zs == Z_RESET) {
    // nothing after a RST is trusted
  } else if (deltaLast > 0) I[f + S_ZLAST] = last;
  else if (len > 0) {
    i32 n = I[f + C_RXMTCNT] + 1;
    I[f + C_RXMTCNT] = n;
    if (n == I[f + C_RXMTTHRESH]) {
      add(base, isOrig, 0x54);
      I[f + C_RXMTTHRESH] = nextThreshold(I[f + C_RXMTTHRESH]);
    }
  }

  if (zs == Z_INACTIVE || sfr != 0) stateMachine(f, r, isOrig, seq, syn, fin, rst, hasAck, len);

  if (hasAck) {
    double up = relAck;
    if (I[r + C_FIN] != 0) {
      double finSeq = (double)(u32)I[r + C_FINSEQ];
      if (up >= finSeq) up = finSeq - 1;
    }
    if (up > F[rd + D_TRIM]) {
      F[rd + D_TRIM] = up;
      if (up > F[rd + D_REASSEM]) ackPastReassembly(base, r, f, !isOrig, up);
    }
  }

  if (len > 0 && !rst && relSeq >= 0) dataSent(f, syn ? (double)relSeq + 1 : (double)relSeq, len);
  return af;
}

/**
 * The benchmark's loop inside the module: `n` events of 8 words at `ev` (op, base, dir,
 * seq, ack, flags, window, len; op 0: tcp_open(base, dir)), their clocks at `now`, options
 * at `opt` (offset, length per event) in `optBytes`. Returns the xor of the flags.
 */
i32 tcp_run(const i32 *ev, const double *now, const i32 *opt, const u8 *optBytes, i32 n) {
  i32 x = 0;
  for (i32 i = 0; i < n; i++) {
    const i32 *e = ev + 8 * i;
    if (e[0] == 0) tcp_open(e[1], e[2]);
    else x ^= tcp_segment(e[1], e[2], e[3], e[4], e[5], e[6], e[7], optBytes + opt[2 * i], opt[2 * i + 1], now[i]);
  }
  return x;
}
