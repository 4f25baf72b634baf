import { TABS } from '../../hooks/useHashTab.js';

const LABELS = { chat: 'Chat', whiteboard: 'Whiteboard', agents: 'Agents', connection: 'Connection' };

export default function NavTabs({ tab, unread }) {
  return (
    <nav className="tabs" aria-label="Panels">
      {TABS.map((name) => (
        <a key={name} href={`#${name}`} className={`tab${tab === name ? ' active' : ''}`} aria-current={tab === name ? 'page' : undefined} data-testid={`nav-${name}`}>
          {LABELS[name]}
          {name === 'chat' && unread > 0 && <span className="badge" data-testid="nav-unread">{unread > 99 ? '99+' : unread}</span>}
        </a>
      ))}
    </nav>
  );
}
