import Avatar from '../layout/Avatar.jsx';

/** Who has the board open. */
export default function BoardPeople({ members, me }) {
  const named = members.filter((m) => m.info?.name);
  return (
    <div className="people" data-testid="whiteboard-people" title={named.map((m) => m.info.name).join(', ')}>
      {named.slice(0, 6).map((m) => (
        <span key={m.sid} className={`people-item${m.info.tab === me.tabId ? ' me' : ''}`}>
          <Avatar name={m.info.name} color={m.info.color} size="sm" />
        </span>
      ))}
      <span className="muted">{named.length} on the board</span>
    </div>
  );
}
