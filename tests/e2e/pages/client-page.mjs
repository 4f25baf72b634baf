// The client in a page, against the server named in ?ws=; the test drives
// it through window.client.
import { BrolostackWSClientside } from 'brolostack/client';

const url = new URLSearchParams(location.search).get('ws');
window.restored = [];
window.client = new BrolostackWSClientside({
  url,
  environment: 'production',
  reconnectionAttempts: 1000,
  reconnectionDelay: 50,
  reconnectionDelayMax: 250,
});
window.client.on('queue-restored', (r) => window.restored.push(r));
window.client.ready.then(() => { document.getElementById('out').textContent = 'ready'; });
