// npm install upscaler@1.0.0 @tensorflow/tfjs@4.11.0 @upscalerjs/default-model@1.0.0
// An ES module that imports packages by name, and UpscalerJS's own files import each other without
// file extensions, so browsers cannot load it as it is, even with an import map. Save it as app.js,
// bundle it with esbuild (Vite works too) and load bundle.js with a <script> tag. No bundler? Use
// the script-tag code.
//   npm install --save-dev esbuild
//   npx esbuild app.js --bundle --outfile=bundle.js
import Upscaler from 'upscaler';
import model from '@upscalerjs/default-model';

// The model's weights are not in the bundle: when the page runs, UpscalerJS fetches them from a CDN
// (cdn.jsdelivr.net, then unpkg.com), even after npm install. To serve them yourself (offline,
// intranet, a strict Content-Security-Policy), copy node_modules/@upscalerjs/default-model/models/
// to your site's /models/default-model/ and give UpscalerJS their URL:
//   new Upscaler({ model: { ...model, path: '/models/default-model/model.json' } })

const upscaler = new Upscaler({ model });

async function main() {
  // The image: a URL (same origin or CORS-enabled), an <img> element or a tensor.
  const upscaled = await upscaler.upscale('photo.png');
  // upscaled is a PNG data URL.
  const result = document.createElement('img');
  result.src = upscaled;
  document.body.append(result);
}

main().catch((error) => {
  // Show the failure (a blocked CDN, an image that did not load) on the page, not only in the console.
  console.error(error);
  document.body.append(`Upscaling failed: ${error.message}`);
});
