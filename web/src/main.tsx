import { createRoot } from 'react-dom/client';
import { App } from './App';
import './style.css';

const root = document.getElementById('root');
// Another site that frames the page could lay its own buttons over ours ("use the offered
// endpoints", "add my signature"). `frame-ancestors` cannot be said in the page's own CSP (a meta
// tag), and not every host sets it as a header, so the page refuses to run framed.
if (root && window.top !== window.self) {
  root.textContent = 'The Gridchain dashboard does not run inside another page: open it in a tab of its own.';
  root.setAttribute('data-testid', 'framed');
} else if (root) createRoot(root).render(<App />);
