// Flows that overflow the session's table are forgotten by the aggregator that owns them,
// the main thread's share too (it forgets a flow when its facts are asked for: FactsOf).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BufferPool, readCapture } from '../../src/capture/reader.js';
import { loadCatalog } from '../../src/catalog/load.js';
import type { FlowFacts } from '../../src/flow/conversation.js';
import { KEY_WORDS } from '../../src/flow/table.js';
import type { BatchSink } from '../../src/pipeline/pool.js';
import { FlowSession } from '../../src/session/session.js';
import { REPO } from '../helpers/shared.js';

const FILE = resolve(REPO, 'fixtures/pan-lab/a07_mixed.pcap');

describe('overflow between drains', () => {
  it("the main thread's share forgets the conversations of flows the table had no room for", async () => {
    const s = new FlowSession({ catalog: loadCatalog(), inventory: null, maxFlows: 4, allFlows: false, maxListed: 100, topPairs: 5, timeouts: null, workers: 1, mainThreadShare: true });
    try {
      await s.ready();
      const sink = (s as unknown as { sink: BatchSink & { local: { conversations: { peekKey(k: Uint32Array): FlowFacts | null } } } }).sink;
      const local = sink.local.conversations;
      // The flows handed to take() that the main thread's share holds a conversation of.
      const taken: Uint32Array[] = [];
      const take = sink.take.bind(sink);
      sink.take = (keys) => {
        for (let o = 0; o < keys.length; o += KEY_WORDS) {
          const k = keys.slice(o, o + KEY_WORDS);
          if (local.peekKey(k) !== null) taken.push(k);
        }
        return take(keys);
      };
      const buffers = new BufferPool(8192, 256);
      await readCapture(FILE, { fileIndex: 0, seqBase: 0, pool: buffers, submit: (b) => s.add(b).then(() => undefined) });
      await s.flush();
      expect(s.table.overflowFlows).toBeGreaterThan(0);
      expect(taken.length).toBeGreaterThan(0);
      for (const k of taken) expect(local.peekKey(k)).toBeNull();
    } finally {
      await s.abort();
    }
  });
});
