// Address words (as the flow table keeps them) to the strings reports print. Called per
// flow endpoint when building a report, never per packet.

export function ipv4String(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

/** RFC 5952: lower case, longest run of two or more zero groups as "::". */
export function ipv6String(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${ipv4String(w3)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function macString(hi16: number, lo32: number): string {
  const b = [hi16 >>> 8, hi16 & 255, lo32 >>> 24, (lo32 >>> 16) & 255, (lo32 >>> 8) & 255, lo32 & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
