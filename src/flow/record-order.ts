// Flows in capture order, by the record number of their first packet (whole, at least 0, no
// two flows share one), sorted as numbers, natively: record · 2^k + index (2^k: above every
// index) in a Float64Array, no comparator call. Exact in a double short of 2^53 / 2^k
// records; add() says when it is not, and the caller sorts otherwise. The flow table's last
// snapshot (FlowTable.snapshotInCaptureOrder) and classification (inCaptureOrder) share it.

export class RecordOrder {
  private readonly scale: number;
  private readonly keys: Float64Array;
  private n = 0;
  /** Whether the indexes added so far came in order of record already. */
  sorted = true;

  /** At most `count` indexes, each below `indexes`. */
  constructor(count: number, indexes: number) {
    let scale = 1;
    while (scale < indexes) scale *= 2;
    this.scale = scale;
    this.keys = new Float64Array(count);
  }

  /** Index `index`, first seen at record `record`; false (nothing added) when its key would not be exact. */
  add(record: number, index: number): boolean {
    const k = record * this.scale + index;
    if (!(Number.isInteger(record) && record >= 0 && k <= Number.MAX_SAFE_INTEGER)) return false;
    if (this.n > 0 && k < this.keys[this.n - 1]) this.sorted = false;
    this.keys[this.n++] = k;
    return true;
  }

  get length(): number {
    return this.n;
  }

  /** Puts the indexes added in order of record (nothing to do when they came so). */
  sort(): void {
    if (!this.sorted) this.keys.subarray(0, this.n).sort();
    this.sorted = true;
  }

  /** The index at position j of the order (after sort()). */
  at(j: number): number {
    const k = this.keys[j];
    return k - Math.floor(k / this.scale) * this.scale;
  }
}
