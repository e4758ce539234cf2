// npm install upscaler@1.0.0 @tensorflow/tfjs-node@4.11.0 @upscalerjs/esrgan-slim@1.0.0
// CommonJS, as upscaler/node is a require-only export: save as upscale.cjs, run `node upscale.cjs`.
const fs = require('node:fs');
const tf = require('@tensorflow/tfjs-node');
const Upscaler = require('upscaler/node');
const model = require('@upscalerjs/esrgan-slim/4x');

const upscaler = new Upscaler({ model, warmupSizes: [64] });

async function main() {
  const image = tf.node.decodeImage(fs.readFileSync('photo.png'), 3);
  const upscaled = await upscaler.upscale(image, {
    output: 'tensor',
    patchSize: 64,
    padding: 4,
    progress: (amount) => console.log(`${Math.round(amount * 100)}%`),
  });
  // upscaled holds floats in [0, 255]: round them, or encodePng truncates them.
  const pixels = upscaled.round();
  fs.writeFileSync('photo@4x.png', await tf.node.encodePng(pixels));
  tf.dispose([image, upscaled, pixels]);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
