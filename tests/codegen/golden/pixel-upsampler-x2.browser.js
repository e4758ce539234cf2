// npm install upscaler@1.0.0 @tensorflow/tfjs@4.11.0 @upscalerjs/pixel-upsampler@1.0.0-beta.11 --legacy-peer-deps
// --legacy-peer-deps: @upscalerjs/pixel-upsampler@1.0.0-beta.11 asks for @tensorflow/tfjs ~4.8.0,
// upscaler@1.0.0 for ~4.11.0; the model definition is plain data, so it works with 4.11.0.
// An ES module that imports packages by name, and UpscalerJS's own files import each other without
// file extensions, so browsers cannot load it as it is, even with an import map. Save it as app.js,
// bundle it with esbuild (Vite works too) and load bundle.js with a <script> tag. No bundler? Use
// the script-tag code.
//   npm install --save-dev esbuild
//   npx esbuild app.js --bundle --outfile=bundle.js
import Upscaler from 'upscaler';
import * as tf from '@tensorflow/tfjs';
import model from '@upscalerjs/pixel-upsampler/x2';

// The model's weights are not in the bundle: when the page runs, UpscalerJS fetches them from a CDN
// (cdn.jsdelivr.net, then unpkg.com), even after npm install. To serve them yourself (offline,
// intranet, a strict Content-Security-Policy), copy
// node_modules/@upscalerjs/pixel-upsampler/models/x2/ to your site's /models/pixel-upsampler/x2/
// and give UpscalerJS their URL:
//   new Upscaler({ model: { ...model, path: '/models/pixel-upsampler/x2/model.json' } })

const upscaler = new Upscaler({ model });

async function main() {
  // The image: a URL (same origin or CORS-enabled), an <img> element or a tensor.
  const upscaled = await upscaler.upscale('photo.png', { output: 'tensor' });
  // upscaled is a tensor of floats in [0, 255]: round them to show the pixels the PNG output has.
  const pixels = tf.tidy(() => upscaled.round().toInt());
  const canvas = document.createElement('canvas');
  await tf.browser.toPixels(pixels, canvas);
  tf.dispose([upscaled, pixels]);
  document.body.append(canvas);
}

main().catch((error) => {
  // Show the failure (a blocked CDN, an image that did not load) on the page, not only in the console.
  console.error(error);
  document.body.append(`Upscaling failed: ${error.message}`);
});
