// Times the real `upscaler` package (its Node build) on @tensorflow/tfjs-backend-wasm.
// Usage: node bench.cjs JOB.json — the job lists runs (model export, patch size, padding, repeats)
// and raw RGB images; writes each call's time and the first output's raw pixels.
"use strict";
const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs-node"); // the shim: tfjs with the wasm backend
const Upscaler = require("upscaler/node");

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  await tf.setBackend("wasm");
  await tf.ready();
  const results = [];
  for (const run of job.runs) {
    const upscaler = new Upscaler({ model: require(run.model) });
    await upscaler.getModel();
    const options = run.patchSize ? { patchSize: run.patchSize, padding: run.padding } : {};
    for (const image of job.images) {
      const pixels = new Uint8Array(fs.readFileSync(image.path));
      const seconds = [];
      let output = null;
      for (let i = 0; i <= run.repeats; i++) {
        const input = tf.tensor3d(pixels, [image.height, image.width, 3], "int32");
        const start = process.hrtime.bigint();
        const result = await upscaler.execute(input, { ...options, output: "tensor" });
        const data = await result.data();
        const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
        if (i > 0) seconds.push(elapsed); // the first call warms up (UpscalerJS runs a warm-up of its own too)
        if (output === null) output = Buffer.from(Uint8ClampedArray.from(data).buffer); // rounded, as a canvas would
        result.dispose();
        input.dispose();
      }
      const out = path.join(job.outDir, `${run.name}--${image.name}.rgb`);
      fs.writeFileSync(out, output);
      results.push({ run: run.name, image: image.name, seconds, output: out });
    }
    await upscaler.dispose();
  }
  fs.writeFileSync(job.resultPath, JSON.stringify({ backend: tf.getBackend(), tfjs: tf.version.tfjs, results }, null, 1));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
