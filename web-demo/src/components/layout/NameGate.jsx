import { useState } from 'react';
import { randomName } from '../../lib/identity.js';
import ConnectionBadge from './ConnectionBadge.jsx';

/** The first screen of a tab: who you are in the rooms. */
export default function NameGate({ onSubmit }) {
  const [name, setName] = useState(randomName);
  const submit = (event) => {
    event.preventDefault();
    const value = name.trim();
    if (value) onSubmit(value.slice(0, 40));
  };
  return (
    <div className="gate">
      <form className="gate-card" onSubmit={submit}>
        <div className="gate-head">
          <span className="brand-mark lg" aria-hidden="true">B</span>
          <ConnectionBadge />
        </div>
        <h1>Brolostack realtime demo</h1>
        <p className="muted">
          Chat rooms with presence, a shared whiteboard, multi-agent pipelines and live connection metrics, on one
          WebSocket. Open a second tab to see them work together.
        </p>
        <label className="field">
          <span>Your name</span>
          <input data-testid="name-input" value={name} maxLength={40} autoFocus onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="btn primary wide" data-testid="name-submit" disabled={!name.trim()}>
          Join the demo
        </button>
      </form>
    </div>
  );
}
