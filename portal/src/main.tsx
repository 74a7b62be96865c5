import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadConfig } from './config';
import { setRolesClaim } from './session';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
loadConfig()
  .then((config) => {
    setRolesClaim(config.rolesClaim);
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    );
  })
  .catch((error: Error) =>
    root.render(
      <main>
        <h1>The portal could not start</h1>
        <p role="alert">{error.message}</p>
      </main>,
    ),
  );
