// Chat messages sent but not yet seen back from the server, kept in
// sessionStorage: after a reload the client delivers the queued messages
// itself (its offline queue lives in localStorage), but it does not tell
// the page what they were; this list does, until each comes back (by `cid`).
const KEY = 'brolostack-demo:pending';

export function loadPending() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) ?? []; } catch { return []; }
}

export function savePending(list) {
  try {
    if (list.length) sessionStorage.setItem(KEY, JSON.stringify(list));
    else sessionStorage.removeItem(KEY);
  } catch { /* storage full or unavailable: this page only */ }
}
