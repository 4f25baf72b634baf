import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrolostackProvider } from 'brolostack/react';
import { clientConfig } from './config.js';
import App from './App.jsx';
import 'uplot/dist/uPlot.min.css';
import './styles.css';

// One client for the whole page (the provider's), connected while mounted:
// to ?ws=… when given, else to this page's own origin at /ws.
createRoot(document.getElementById('root')).render(
  <StrictMode>
    <BrolostackProvider config={clientConfig}>
      <App />
    </BrolostackProvider>
  </StrictMode>,
);
