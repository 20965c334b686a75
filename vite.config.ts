// Bundles the add-in pages (standalone host, Outlook task pane, function file, dialog) into dist/.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = resolve(import.meta.dirname, 'addin');

export default defineConfig({
  root,
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
