// RecordOrder: indexes by first record number, sorted as numbers (the flow table's last
// snapshot and classification both order flows with it).
import { describe, expect, it } from 'vitest';
import { RecordOrder } from '../../src/flow/record-order.js';

describe('RecordOrder', () => {
  it('gives the indexes in order of record, and says when they came in order', () => {
    const records = [50, 7, 1_000_000, 0, 8];
    const order = new RecordOrder(records.length, 1000);
    records.forEach((r, i) => expect(order.add(r, i * 200)).toBe(true));
    expect(order.sorted).toBe(false);
    order.sort();
    expect(Array.from({ length: order.length }, (_, j) => order.at(j))).toEqual([600, 200, 800, 0, 400]);
    const inOrder = new RecordOrder(3, 3);
    [3, 9, 12].forEach((r, i) => inOrder.add(r, i));
    expect(inOrder.sorted).toBe(true);
  });

  it('refuses records its key cannot hold exactly', () => {
    const order = new RecordOrder(4, 1 << 20);
    expect(order.add(1.5, 0)).toBe(false);
    expect(order.add(-1, 0)).toBe(false);
    expect(order.add(2 ** 33, 0)).toBe(false);
    expect(order.add(2 ** 32, 5)).toBe(true);
    expect(order.length).toBe(1);
  });
});
