import { useIdentity } from '../../lib/IdentityContext.js';
import Avatar from './Avatar.jsx';

export default function UserChip() {
  const me = useIdentity();
  return (
    <span className="user-chip" data-testid="user-chip" title={`You are ${me.name} (${me.tabId})`}>
      <Avatar name={me.name} color={me.color} size="sm" />
      <span className="user-name">{me.name}</span>
    </span>
  );
}
