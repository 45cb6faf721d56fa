// Tests' way of taking every flow's conversation facts from a store (the session takes
// them flow by flow as classification asks: InlineSink, WorkerPool).
import type { ConversationStore, FlowFacts } from '../../src/flow/conversation.js';
import { KEY_WORDS } from '../../src/flow/table.js';

/** The conversation facts of the flows whose keys are packed in `keys` (KEY_WORDS each), forgotten afterwards. */
export function takeConversations(store: ConversationStore, keys: Uint32Array): (FlowFacts | null)[] {
  const out: (FlowFacts | null)[] = [];
  for (let o = 0; o < keys.length; o += KEY_WORDS) out.push(store.takeKey(keys, o));
  return out;
}
