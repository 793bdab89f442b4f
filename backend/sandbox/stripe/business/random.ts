/** Seeded randomness for the sample business and for webhook delivery order. */

export interface SeededRandom {
  next(): number;
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  /** True with a chance of `perMille` in 1000. */
  chance(perMille: number): boolean;
}

/** A small 32-bit xorshift generator: deterministic across platforms and fast enough here. */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (perMille) => next() * 1000 < perMille,
  };
}
