import { useEffect, useState } from 'react';

export const TABS = ['chat', 'whiteboard', 'agents', 'connection'];

const current = () => {
  const tab = globalThis.location?.hash.replace(/^#/, '');
  return TABS.includes(tab) ? tab : 'chat';
};

/** The panel shown, from the URL's hash (#chat, #whiteboard, #agents, #connection). */
export function useHashTab() {
  const [tab, setTab] = useState(current);
  useEffect(() => {
    const onChange = () => setTab(current());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return tab;
}
