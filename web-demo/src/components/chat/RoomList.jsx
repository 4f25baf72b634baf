import AddRoomForm from './AddRoomForm.jsx';

export default function RoomList({ rooms, active, summaries, onSelect, onAdd }) {
  return (
    <aside className="sidebar">
      <h2 className="sidebar-title">Rooms</h2>
      <ul className="room-list" data-testid="room-list">
        {rooms.map((room) => {
          const unread = summaries[room]?.unread ?? 0;
          return (
            <li key={room}>
              <button type="button" className={`room-button${room === active ? ' active' : ''}${unread ? ' has-unread' : ''}`}
                onClick={() => onSelect(room)} data-testid={`room-${room}`} aria-current={room === active ? 'true' : undefined}>
                <span className="hash" aria-hidden="true">#</span>
                <span className="room-name">{room}</span>
                {unread > 0 && <span className="badge" data-testid="unread-count">{unread}</span>}
              </button>
            </li>
          );
        })}
      </ul>
      <AddRoomForm onAdd={onAdd} />
    </aside>
  );
}
