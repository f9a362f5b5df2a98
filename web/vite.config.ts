import { defineConfig, type Plugin } from 'vitest/config';
import react from '@vitejs/plugin-react';

/** The built page's Content-Security-Policy: its own scripts only, no inline or injected script,
 * no plugin, no `<base>`. The README's "Against a hostile user" says why each source is allowed. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // The bundle, and WebAssembly compiled from bytes: @polkadot/wasm-crypto (sr25519, BLAKE2b)
  // instantiates its embedded module, which needs 'wasm-unsafe-eval' (not 'unsafe-eval': no eval).
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  // The chain and the indexer are whatever the user chose, and a node's agent is wherever the
  // chain says it is: any host, over ws:/wss: (chain) and http:/https: (indexer, agents).
  "connect-src 'self' ws: wss: http: https:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
].join('; ');

/** The policy as the page's first `<meta>`, so it covers every script that follows; at build
 * only, as the dev server's hot reload runs an inline script. */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'gridchain-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
  };
}

// A meta tag cannot say `frame-ancestors`; the servers Vite runs send it as a header (a host of
// `dist/` should too), and the page refuses to run framed (`src/main.tsx`).
const headers = { 'Content-Security-Policy': "frame-ancestors 'none'" };

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { host: '127.0.0.1', port: 5173, headers },
  preview: { host: '127.0.0.1', port: 5173, headers },
  test: { include: ['test/**/*.test.ts'], testTimeout: 20000 },
});
