// npm install upscaler@1.0.0 @tensorflow/tfjs@4.11.0 @upscalerjs/pixel-upsampler@1.0.0-beta.11 --legacy-peer-deps
// --legacy-peer-deps: @upscalerjs/pixel-upsampler@1.0.0-beta.11 asks for @tensorflow/tfjs ~4.8.0,
// upscaler@1.0.0 for ~4.11.0; the model definition is plain data, so it works with 4.11.0.
import Upscaler from 'upscaler';
import * as tf from '@tensorflow/tfjs';
import model from '@upscalerjs/pixel-upsampler/x2';

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

main();
