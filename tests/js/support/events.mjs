// Waiting on a client's events and on conditions, with bounded time.

/** The next `event` of `client` that satisfies `predicate`, as {data, extra}. */
export function waitFor(client, event, predicate = () => true, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no ${event} in ${ms} ms`)); }, ms);
    const off = client.on(event, (data, extra) => {
      if (!predicate(data, extra)) return;
      clearTimeout(timer);
      off();
      resolve({ data, extra });
    });
  });
}

/** Resolves once `predicate()` holds; rejects after `ms`. */
export async function until(predicate, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
