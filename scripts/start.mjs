// `npm start`: install what is missing, build, serve. Options go to the dev server:
//   npm start -- --https      (or CACHET_HTTPS=1 npm start) for Outlook sideloading
import { build } from './build.mjs';
import { describeDemo, ensureDemo } from './demo.mjs';
import { serve } from './serve.mjs';
import { setup } from './setup.mjs';

try {
  await build(await setup());
  console.log(describeDemo(ensureDemo()));
  await serve(process.argv.slice(2));
} catch (e) {
  console.error(`\nnpm start failed: ${e.message}`);
  process.exit(1);
}
