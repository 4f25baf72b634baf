// Room frames ({room, event, data, from, offset, epoch, ts}) from history
// and from live delivery, merged: each once, in offset order.
export const frameKey = (f) => `${f.epoch}:${f.offset}`;

export function mergeFrames(...lists) {
  const byKey = new Map();
  for (const list of lists) for (const f of list ?? []) if (f && f.offset !== undefined) byKey.set(frameKey(f), f);
  return [...byKey.values()].sort((a, b) => (a.epoch === b.epoch ? a.offset - b.offset : (a.ts ?? 0) - (b.ts ?? 0)));
}

export const newId = (prefix) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
