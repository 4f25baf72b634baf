// Who this tab is: a display name, a colour from it, and a tab id that
// marks "you" in member lists and makes this tab's agent ids unique. Kept
// in sessionStorage: one identity per tab, the same after a reload.
const KEY = 'brolostack-demo:identity';

const ADJECTIVES = ['Swift', 'Calm', 'Bright', 'Bold', 'Clever', 'Quiet', 'Lucky', 'Brave', 'Sunny', 'Keen'];
const ANIMALS = ['Otter', 'Falcon', 'Panda', 'Lynx', 'Heron', 'Fox', 'Koala', 'Orca', 'Badger', 'Wren'];
const PALETTE = ['#4f46e5', '#0891b2', '#059669', '#d97706', '#db2777', '#7c3aed', '#dc2626', '#2563eb', '#65a30d', '#c2410c'];

const pick = (list) => list[Math.floor(Math.random() * list.length)];

export function randomName() {
  return `${pick(ADJECTIVES)} ${pick(ANIMALS)}`;
}

export function newTabId() {
  return `tab-${Math.random().toString(36).slice(2, 7)}`;
}

/** A stable colour for a name. */
export function colorOf(name = '') {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

export function initials(name = '?') {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (parts.length > 1 ? parts[0][0] + parts[1][0] : (parts[0] ?? '?')[0]).toUpperCase();
}

function read() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) ?? {}; } catch { return {}; }
}

function write(value) {
  try { sessionStorage.setItem(KEY, JSON.stringify(value)); } catch { /* private mode: this page only */ }
}

/** The stored identity; `name` is null until the user picked one. */
export function loadIdentity() {
  const stored = read();
  const identity = { tabId: stored.tabId || newTabId(), name: stored.name || null };
  write(identity);
  return { ...identity, color: colorOf(identity.name ?? '') };
}

export function saveName(identity, name) {
  const next = { ...identity, name, color: colorOf(name) };
  write({ tabId: next.tabId, name });
  return next;
}

/** A new tab id (after another tab of the same session storage claimed ours). */
export function renewTabId(identity) {
  const next = { ...identity, tabId: newTabId() };
  write({ tabId: next.tabId, name: next.name });
  return next;
}
