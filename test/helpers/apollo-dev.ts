// Apollo Client checks the cache (and prints "Cache data may be lost…") only in development
// builds: bundlers pick them with the `development` export condition, Node's `require` does not,
// so switch them on before @apollo/client loads (import this module first), and load the full
// warning texts.
(globalThis as { __DEV__?: boolean }).__DEV__ = true;

const { loadDevMessages, loadErrorMessages } = require('@apollo/client/dev') as typeof import('@apollo/client/dev');
loadDevMessages();
loadErrorMessages();

export {};
