// Bundles the add-in pages (standalone host, Outlook task pane, function file, dialog) into dist/.
import { basename, resolve } from 'node:path';
import { type Plugin, defineConfig } from 'vite';
import { metaCsp } from './scripts/csp.mjs';

const root = resolve(import.meta.dirname, 'addin');

/**
 * Each built page carries its Content-Security-Policy as the first element of its head
 * (scripts/csp.mjs), so the policy holds wherever dist/ is served; the server adds the header
 * policy with frame-ancestors (README, Security).
 */
function cspMeta(): Plugin {
  return {
    name: 'cachet-csp-meta',
    apply: 'build',
    transformIndexHtml: {
      order: 'pre',
      handler: (_html, ctx) => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: metaCsp(`/${basename(ctx.filename)}`) }, injectTo: 'head-prepend' }],
    },
  };
}

export default defineConfig({
  root,
  plugins: [cspMeta()],
  publicDir: resolve(root, 'public'),
  build: {
    outDir: resolve(import.meta.dirname, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Keep every asset a file: the CSP allows no data: URLs.
    assetsInlineLimit: 0,
    rollupOptions: {
      input: {
        index: resolve(root, 'index.html'),
        taskpane: resolve(root, 'taskpane.html'),
        commands: resolve(root, 'commands.html'),
        dialog: resolve(root, 'dialog.html'),
      },
    },
  },
  worker: { format: 'es' },
});
