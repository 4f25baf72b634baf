import Avatar from '../layout/Avatar.jsx';

/** Who is in the room now (presence, live). */
export default function MemberList({ members, me }) {
  const sorted = [...members].sort((a, b) => {
    const mine = (m) => (m.info?.tab === me.tabId ? 0 : 1);
    return mine(a) - mine(b) || (a.info?.name ?? '').localeCompare(b.info?.name ?? '');
  });
  return (
    <aside className="members">
      <h3 className="sidebar-title">Members <span className="muted">· {members.length}</span></h3>
      <ul data-testid="member-list">
        {sorted.map((m) => {
          const name = m.info?.name ?? (m.user?.name || 'Guest');
          const you = m.info?.tab === me.tabId;
          return (
            <li key={m.sid} className="member" data-testid="member" data-sid={m.sid}>
              <span className="presence-avatar">
                <Avatar name={name} color={m.info?.color} size="sm" />
                <span className="online-dot" aria-label="online" />
              </span>
              <span className="member-name">{name}</span>
              {you && <span className="you">you</span>}
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
