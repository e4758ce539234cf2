// Stands in for @tensorflow/tfjs-node, whose native binding is a separate download: `upscaler/node`
// requires it for its tf object, and gets @tensorflow/tfjs on the wasm backend instead. The only
// part of tfjs-node it needs here is reading `file://` model URLs, given below with node's fs.
"use strict";
const fs = require("fs");
const path = require("path");
const { fileURLToPath } = require("url");
const tf = require("@tensorflow/tfjs");
require("@tensorflow/tfjs-backend-wasm");

function fileHandler(url) {
  return {
    async load() {
      const file = fileURLToPath(url);
      const model = JSON.parse(fs.readFileSync(file, "utf8"));
      const specs = [];
      const buffers = [];
      for (const group of model.weightsManifest) {
        specs.push(...group.weights);
        for (const shard of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(file), shard)));
      }
      const joined = Buffer.concat(buffers);
      return {
        modelTopology: model.modelTopology,
        format: model.format,
        generatedBy: model.generatedBy,
        convertedBy: model.convertedBy,
        userDefinedMetadata: model.userDefinedMetadata,
        weightSpecs: specs,
        weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength),
      };
    },
  };
}

tf.io.registerLoadRouter((url) => (typeof url === "string" && url.startsWith("file://") ? fileHandler(url) : null));
module.exports = tf;
