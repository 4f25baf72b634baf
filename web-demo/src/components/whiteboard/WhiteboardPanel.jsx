import { useState } from 'react';
import { useIdentity } from '../../lib/IdentityContext.js';
import { useWhiteboard } from '../../hooks/useWhiteboard.js';
import { COLORS, WIDTHS } from '../../lib/strokes.js';
import BoardToolbar from './BoardToolbar.jsx';
import BoardSurface from './BoardSurface.jsx';
import BoardPeople from './BoardPeople.jsx';

export default function WhiteboardPanel() {
  const me = useIdentity();
  const board = useWhiteboard(me);
  const [pen, setPen] = useState({ color: COLORS[1], width: WIDTHS[1] });
  return (
    <div className="whiteboard-panel">
      <div className="panel-head">
        <div>
          <h2>Whiteboard</h2>
          <p className="muted">Every stroke is a message of the <code>whiteboard</code> room: a tab that joins or comes back replays the room’s history. Cursors travel through a room of their own.</p>
        </div>
        <BoardPeople members={board.members} me={me} />
      </div>
      <BoardToolbar pen={pen} onPen={setPen} onClear={board.clear} strokeCount={board.strokes.length} />
      <BoardSurface strokes={board.strokes} pen={pen} onStroke={board.addStroke} onLive={board.sendLive} me={me} />
    </div>
  );
}
