// Bundles the Thunderbird extension's pages (event page, message popup and viewer tab,
// options page) from the same sources as the add-in into dist/thunderbird/. The display
// script (a classic content script), manifest.json and the .xpi are made by scripts/build.mjs.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = resolve(import.meta.dirname, 'addin');

export default defineConfig({
  root,
  publicDir: resolve(root, 'public'),
  build: {
    outDir: resolve(import.meta.dirname, 'dist', 'thunderbird'),
    emptyOutDir: true,
    target: 'es2022',
    // Keep every asset a file: the extension's CSP allows no data: URLs.
    assetsInlineLimit: 0,
    // Thunderbird 153 has native module preloading; no inline polyfill.
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        'tb-background': resolve(root, 'tb-background.html'),
        'tb-message': resolve(root, 'tb-message.html'),
        'tb-options': resolve(root, 'tb-options.html'),
        'tb-keepalive': resolve(root, 'tb-keepalive.html'),
        'tb-compose': resolve(root, 'tb-compose.html'),
        'tb-confidential': resolve(root, 'tb-confidential.html'),
      },
    },
  },
  worker: { format: 'es' },
});
