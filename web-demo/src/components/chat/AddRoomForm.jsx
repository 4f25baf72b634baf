import { useState } from 'react';

const ROOM_ID = /^[A-Za-z0-9_.:@-]{1,64}$/;

/** Join (or create) another room by name. */
export default function AddRoomForm({ onAdd }) {
  const [name, setName] = useState('');
  const valid = ROOM_ID.test(name.trim());
  const submit = (event) => {
    event.preventDefault();
    if (!valid) return;
    onAdd(name.trim().toLowerCase());
    setName('');
  };
  return (
    <form className="add-room" onSubmit={submit}>
      <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Join a room…" aria-label="Room to join" maxLength={64} data-testid="room-add-input" />
      <button type="submit" className="btn ghost sm" disabled={!valid} aria-label="Join room">+</button>
    </form>
  );
}
