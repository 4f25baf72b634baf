import NavTabs from './NavTabs.jsx';
import ConnectionBadge from './ConnectionBadge.jsx';
import UserChip from './UserChip.jsx';

export default function Header({ tab, unread }) {
  return (
    <header className="topbar">
      <a className="brand" href="#chat" aria-label="Brolostack demo">
        <span className="brand-mark" aria-hidden="true">B</span>
        <span className="brand-name">Brolostack</span>
        <span className="brand-sub">realtime demo</span>
      </a>
      <NavTabs tab={tab} unread={unread} />
      <div className="topbar-end">
        <ConnectionBadge />
        <UserChip />
      </div>
    </header>
  );
}
