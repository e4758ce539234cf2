// npm install upscaler@1.0.0 @tensorflow/tfjs@4.11.0 @upscalerjs/default-model@1.0.0
import Upscaler from 'upscaler';
import model from '@upscalerjs/default-model';

const upscaler = new Upscaler({ model });

async function main() {
  // The image: a URL (same origin or CORS-enabled), an <img> element or a tensor.
  const upscaled = await upscaler.upscale('photo.png');
  // upscaled is a PNG data URL.
  const result = document.createElement('img');
  result.src = upscaled;
  document.body.append(result);
}

main();
