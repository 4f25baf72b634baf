import { initials, colorOf } from '../../lib/identity.js';

export default function Avatar({ name, color, size = 'md' }) {
  return (
    <span className={`avatar avatar-${size}`} style={{ background: color ?? colorOf(name) }} aria-hidden="true">
      {initials(name)}
    </span>
  );
}
