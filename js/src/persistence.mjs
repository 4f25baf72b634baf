// Offline queue persistence (messageQueue.persistOffline).
//
// Each client instance keeps its own snapshot, under
// `brolostack:queue:<url>#<owner>`, so two tabs never overwrite each
// other's queue. A snapshot whose owner is gone (the page before a reload,
// a closed tab) is adopted by exactly one live client: adoption runs under
// an exclusive Web Lock per URL, and an owner counts as alive while it
// holds its own lock, which the browser releases when the page goes away.
// Without Web Locks (Node, old browsers) a client adopts every snapshot of
// its URL but its own; two live clients sharing one storage there should
// share a user, so that the server's mid dedupe catches a message both
// send.
const PREFIX = 'brolostack:queue:';

function newOwnerId() {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class QueuePersistence {
  /**
   * @param storage Web Storage (getItem, setItem, removeItem, key, length)
   * @param url the server URL: queues belong to one server
   * @param locks a Web Locks LockManager, or null
   */
  constructor({ storage, url, locks }) {
    this.storage = storage;
    this.locks = locks ?? null;
    this.prefix = `${PREFIX}${url}#`;
    this.ownerId = newOwnerId();
    this.key = this.prefix + this.ownerId;
    this.lastSaved = null;
    this.pending = undefined;  // the latest snapshot asked to be saved
    this.releaseOwnerLock = null;
    // Nothing is stored before the owner lock is held: another tab would
    // take the entry of an owner it cannot see alive.
    this.ownerLockHeld = !this.locks;
    if (this.locks) {
      const held = new Promise((resolve) => { this.releaseOwnerLock = resolve; });
      this.ownerLocked = new Promise((locked) => {
        const granted = () => { this.ownerLockHeld = true; locked(); return held; };
        this.locks.request(this.ownerLockName(this.ownerId), granted).catch(() => locked());
      }).then(() => this.save(this.pending));
    } else {
      this.ownerLocked = Promise.resolve();
    }
  }

  ownerLockName(ownerId) { return `brolostack:owner:${ownerId}`; }

  /** Stores this client's snapshot ('' when nothing is owed: the entry goes). */
  save(snapshot) {
    this.pending = snapshot;
    if (!this.ownerLockHeld || snapshot === undefined || snapshot === this.lastSaved) return;
    try {
      if (snapshot) this.storage.setItem(this.key, snapshot);
      else this.storage.removeItem(this.key);
      this.lastSaved = snapshot;
    } catch { /* storage full or blocked: the queue still lives in memory */ }
  }

  /** Whether this client has an entry stored (messages still owed). */
  holdsSnapshot() { return Boolean(this.lastSaved); }

  /**
   * Hands each orphaned snapshot of this URL to `take(snapshot)`, which
   * makes it this client's own (and saves it), then removes the orphan.
   * Returns how many were adopted.
   */
  async adopt(take) {
    await this.ownerLocked;
    const run = async () => {
      const alive = await this.liveOwners();
      let adopted = 0;
      for (const key of this.orphanKeys(alive)) {
        const snapshot = this.storage.getItem(key);
        if (snapshot) take(snapshot);
        this.storage.removeItem(key);
        adopted += 1;
      }
      return adopted;
    };
    try {
      return this.locks ? await this.locks.request(`brolostack:adopt:${this.prefix}`, run) : await run();
    } catch {
      return 0;  // storage blocked: nothing adopted, nothing lost
    }
  }

  async liveOwners() {
    if (!this.locks) return new Set();
    const { held = [] } = await this.locks.query();
    const lockPrefix = this.ownerLockName('');
    return new Set(held.filter((l) => l.name?.startsWith(lockPrefix)).map((l) => l.name.slice(lockPrefix.length)));
  }

  orphanKeys(alive) {
    const keys = [];
    for (let i = 0; i < this.storage.length; i += 1) {
      const key = this.storage.key(i);
      if (!key?.startsWith(this.prefix)) continue;
      const owner = key.slice(this.prefix.length);
      if (owner !== this.ownerId && !alive.has(owner)) keys.push(key);
    }
    return keys;
  }

  /** The client is done: its lock goes, its snapshot (if any) stays for the next page. */
  stop() { this.releaseOwnerLock?.(); }
}
