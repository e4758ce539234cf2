// "Run in my browser" (explorer/app/browser_run.py): UpscalerJS on the visitor's device, timed, checked.
//
// This is the body of the panel's js_on_load: `element` is the panel, and the server prepends
// `const CONFIG = {...}` (CDNs in order, the pinned packages and their UMD bundles, the network timeout).
// window.explorerBrowserRun.start(job, input, server) runs one job; .compare(plan, input) runs several.
// Nothing is uploaded: the page downloads the input PNG and the server's output from this app, and the
// packages from a CDN.

const part = (name) => element.querySelector(`[data-part="${name}"]`);
const now = () => performance.now();
const shared = (window.__explorerBrowserRunShared = window.__explorerBrowserRunShared || { running: null, finished: 0 });

class UserError extends Error {}
class Cancelled extends Error {}

const ms = (value) => (value == null ? '–' : value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`);
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function say(text, kind = '') {
  const status = part('status');
  status.textContent = text;
  status.className = kind;
}

function showProgress(done, total) {
  const bar = part('progress');
  bar.hidden = total == null;
  if (total != null) {
    bar.max = total;
    bar.value = done;
  }
}

// -- network: script tags from a CDN, with a fallback and a timeout ----------------------------------------

function abortable(promise, signal, timeoutMs, timeoutMessage) {
  return new Promise((resolve, reject) => {
    const timer = timeoutMs ? setTimeout(() => finish(reject, new UserError(timeoutMessage)), timeoutMs) : null;
    const onAbort = () => finish(reject, new Cancelled());
    function finish(settle, value) {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      settle(value);
    }
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
    promise.then((value) => finish(resolve, value), (error) => finish(reject, error));
  });
}

function scriptTag(url) {
  let tag;
  const loaded = new Promise((resolve, reject) => {
    tag = document.createElement('script');
    tag.src = url;
    tag.onload = () => resolve();
    tag.onerror = () => reject(new Error('the request failed (blocked, or no network)'));
    document.head.append(tag);
  });
  return { tag, loaded };
}

// Load `file` of `pkg@version` from the first CDN that answers; `ready()` says whether its global is there.
async function loadPackage({ package: pkg, version, file }, ready, signal) {
  if (ready()) return { host: null, ms: 0 };
  const seconds = Math.round(CONFIG.timeoutMs / 1000);
  const failures = [];
  for (const cdn of CONFIG.cdns) {
    const start = now();
    const { tag, loaded } = scriptTag(`${cdn.base}/${pkg}@${version}/${file}`);
    try {
      await abortable(loaded, signal, CONFIG.timeoutMs, `no answer in ${seconds} s`);
      if (!ready()) throw new Error('it loaded but did not define what it should');
      return { host: cdn.host, base: cdn.base, ms: now() - start };
    } catch (error) {
      tag.remove();
      if (error instanceof Cancelled) throw error;
      failures.push(`${cdn.host}: ${error.message}`);
    }
  }
  throw new UserError(
    `Could not load ${pkg}@${version} from a CDN (${failures.join('; ')}). A firewall, an ad blocker or a ` +
      'Content-Security-Policy may block these CDNs; the Upscale button above still runs on the server.',
  );
}

// The runtime: tfjs, then (for the wasm backend) its WebAssembly backend, then UpscalerJS.
async function loadRuntime(backend, signal) {
  const steps = [await loadPackage(CONFIG.tfjs, () => Boolean(window.tf && window.tf.setBackend), signal)];
  if (backend === 'wasm') {
    const wasm = await loadPackage(CONFIG.wasm, () => Boolean(window.tf && window.tf.wasm), signal);
    if (wasm.base) {
      window.tf.wasm.setWasmPaths(`${wasm.base}/${CONFIG.wasm.package}@${CONFIG.wasm.version}/dist/`);
    }
    steps.push(wasm);
  }
  steps.push(await loadPackage(CONFIG.upscaler, () => typeof window.Upscaler === 'function', signal));
  yieldBetweenPatches();
  return steps.reduce((total, step) => total + step.ms, 0);
}

// UpscalerJS awaits tf.nextFrame() between steps when asked to (awaitNextFrame), so that the page can repaint
// the progress and take the Cancel click. A frame is ~16 ms and there are several steps per patch: that would
// swamp the per-patch times. A task boundary is enough to let events through, and costs next to nothing.
function yieldBetweenPatches() {
  const tf = window.tf;
  if (tf.nextFrame.__explorer) return;
  const nextTask = () =>
    new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(null);
    });
  nextTask.__explorer = true;
  try {
    tf.nextFrame = nextTask;
  } catch (error) {
    // A read-only namespace: UpscalerJS waits for frames, and per-patch times include that wait.
  }
}

async function useBackend(name) {
  const tf = window.tf;
  const order = name === 'auto' ? ['webgl', 'cpu'] : [name];
  for (const candidate of order) {
    let ok = false;
    try {
      ok = await tf.setBackend(candidate);
    } catch (error) {
      ok = false;
    }
    if (ok) {
      await tf.ready();
      return tf.getBackend();
    }
  }
  throw new UserError(`This browser cannot use the ${name} backend of TensorFlow.js: choose another one.`);
}

function gpuString() {
  try {
    const canvas = document.createElement('canvas');
    const gl = canvas.getContext('webgl2') || canvas.getContext('webgl');
    if (!gl) return 'no WebGL in this browser';
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    const lose = gl.getExtension('WEBGL_lose_context');
    if (lose) lose.loseContext();
    return name || 'not exposed by this browser';
  } catch (error) {
    return 'not exposed by this browser';
  }
}

// -- pixels ----------------------------------------------------------------------------------------------------

async function readPng(url, signal) {
  const response = await abortable(fetch(url), signal, CONFIG.timeoutMs, 'The app did not send the image in time.');
  if (!response.ok) throw new UserError(`The app could not send the image (HTTP ${response.status}): run again.`);
  const bitmap = await createImageBitmap(await response.blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  return context.getImageData(0, 0, bitmap.width, bitmap.height);
}

function drawRgb(canvas, rgb, width, height) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i];
    rgba[j + 1] = rgb[i + 1];
    rgba[j + 2] = rgb[i + 2];
    rgba[j + 3] = 255;
  }
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
}

// PSNR (dB, over R, G and B) and the largest difference in levels between RGB pixels and an RGBA ImageData.
function difference(rgb, image) {
  let squares = 0;
  let largest = 0;
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    for (let c = 0; c < 3; c += 1) {
      const d = Math.abs(rgb[i + c] - image.data[j + c]);
      squares += d * d;
      if (d > largest) largest = d;
    }
  }
  const mse = squares / rgb.length;
  return { psnr: mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse), max: largest };
}

// -- one run ---------------------------------------------------------------------------------------------------

const median = (values) => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function runJob(job, input, signal, onPatch) {
  const timings = { runtime: await loadRuntime(job.backend, signal) };
  const tf = window.tf;
  const backend = await useBackend(job.backend);
  const model = job.model;
  const start = now();
  await loadPackage({ package: model.package, version: model.version, file: model.umd }, () => Boolean(window[model.global]), signal);
  const upscaler = new window.Upscaler({ model: window[model.global] });
  try {
    const seconds = Math.round((CONFIG.timeoutMs * 2) / 1000);
    try {
      await abortable(upscaler.ready, signal, CONFIG.timeoutMs * 2, `The weights of ${model.shortId} did not arrive in ${seconds} s.`);
    } catch (error) {
      if (error instanceof Cancelled || error instanceof UserError) throw error;
      throw new UserError(`Could not fetch the weights of ${model.shortId} from a CDN: ${String(error.message).split('\n').slice(0, 4).join(' ')}`);
    }
    timings.load = now() - start;
    const [width, height] = job.size;
    const options = { output: 'tensor', awaitNextFrame: true, signal };
    if (job.patchSize) Object.assign(options, { patchSize: job.patchSize, padding: job.padding || 0 });

    // Warm-up: the first call compiles the model's kernels for these shapes (like the server's first trace).
    let warm = now();
    if (job.patchSize && width >= job.patchSize && height >= job.patchSize) {
      await upscaler.warmup([{ patchSize: job.patchSize, padding: job.padding || 0 }], { signal });
    } else {
      const blank = await upscaler.upscale(tf.zeros([height, width, 3], 'int32'), options);
      await blank.data();
      blank.dispose();
    }
    timings.warmup = now() - warm;

    const patchTimes = [];
    let last = now();
    const pixels = tf.browser.fromPixels(input, 3);
    const run = { ...options };
    if (job.patchSize) {
      // Two arguments: UpscalerJS hands each patch over as a tensor; reading it back times the patch truly.
      run.progress = (amount, patch) => {
        patch.dataSync();
        patch.dispose();
        const t = now();
        patchTimes.push(t - last);
        last = t;
        onPatch(patchTimes.length, job.patches);
      };
    }
    const begin = now();
    const upscaled = await upscaler.upscale(pixels, run);
    const rounded = tf.tidy(() => upscaled.round().clipByValue(0, 255).toInt());
    const values = await rounded.data();
    timings.upscale = now() - begin;
    const [outHeight, outWidth] = rounded.shape;
    tf.dispose([upscaled, rounded]);
    timings.patches = job.patchSize ? patchTimes : [timings.upscale];
    return { backend, timings, rgb: Uint8Array.from(values), width: outWidth, height: outHeight };
  } finally {
    upscaler.dispose().catch(() => {});
  }
}

function explain(error) {
  if (error instanceof UserError) return error.message;
  return `The browser run failed: ${error && error.message ? error.message : error}`;
}

// -- the page --------------------------------------------------------------------------------------------------

function begin() {
  if (shared.running) {
    say('A run is already going on in this browser: wait for it, or cancel it.', 'error');
    return null;
  }
  const controller = new AbortController();
  shared.running = controller;
  const cancel = part('cancel');
  cancel.disabled = false;
  cancel.onclick = () => controller.abort();
  return controller;
}

function end() {
  shared.running = null;
  shared.finished += 1;
  part('cancel').disabled = true;
  showProgress(0, null);
}

function deviceLine(backend) {
  const cores = navigator.hardwareConcurrency ? `, ${navigator.hardwareConcurrency} logical cores` : '';
  part('device').innerHTML = `<b>This device:</b> TensorFlow.js backend <code>${escape(backend)}</code>` +
    `; GPU: ${escape(gpuString())}${cores}.`;
}

function timingRows(job, result) {
  const t = result.timings;
  const patches = t.patches;
  const server = job.server || {};
  const perPatch = patches.length > 1
    ? `${ms(median(patches))} median (min ${ms(Math.min(...patches))}, max ${ms(Math.max(...patches))}), ${patches.length} patches`
    : `${ms(patches[0])} (one call: the whole image)`;
  const rows = [
    ['TensorFlow.js + UpscalerJS', t.runtime ? `${ms(t.runtime)} (downloaded)` : 'already loaded in this page'],
    ['Model load (bundle + weights)', ms(t.load)],
    ['Warm-up (first call compiles)', ms(t.warmup)],
    ['Upscale', ms(t.upscale)],
    ['Per patch', perPatch],
    ['Server (Python TensorFlow)', server.inferenceMs == null ? '–'
      : `${ms(server.inferenceMs)} inference${server.traced ? ' (first call for this size: traced)' : ''}` +
        (server.patchMs == null ? '' : `, ${ms(server.patchMs)} per patch`)],
  ];
  return '<tr><th>Step</th><th>Time on this device</th></tr>' +
    rows.map(([name, value]) => `<tr><td>${escape(name)}</td><td>${escape(value)}</td></tr>`).join('');
}

async function start(job, input, server) {
  const controller = begin();
  if (!controller) return;
  const { signal } = controller;
  const model = job.model.shortId;
  const where = job.patchSize ? `${job.patchSize} px patches, padding ${job.padding || 0}` : 'the whole image';
  part('agreement').textContent = '';
  delete part('agreement').dataset.max;
  part('pictures').hidden = true;
  part('timings').hidden = true;
  try {
    say(`Loading TensorFlow.js, UpscalerJS and ${model} in this browser…`);
    const pixels = await readPng(input.url, signal);
    const onPatch = (done, total) => {
      showProgress(done, total);
      say(`Upscaling in this browser: patch ${done} of ${total}…`);
    };
    const result = await runJob(job, pixels, signal, onPatch);
    deviceLine(result.backend);
    const table = part('timings');
    table.innerHTML = timingRows(job, result);
    table.hidden = false;
    drawRgb(part('output'), result.rgb, result.width, result.height);
    part('server').src = server.url;
    part('pictures').hidden = false;
    const reference = await readPng(server.url, signal);
    const agreement = part('agreement');
    if (reference.width !== result.width || reference.height !== result.height) {
      agreement.innerHTML = `⚠ The outputs differ in size: ${result.width}×${result.height} here, ${reference.width}×${reference.height} on the server.`;
    } else {
      const { psnr, max } = difference(result.rgb, reference);
      const db = psnr === Infinity ? 'identical (PSNR ∞)' : `PSNR ${psnr.toFixed(1)} dB`;
      agreement.dataset.max = String(max);
      agreement.innerHTML = max <= 1
        ? `✓ <b>The browser and the server agree</b>: ${db}` + (max ? ', max difference 1 level (rounding).' : '.')
        : `⚠ <b>The browser and the server disagree beyond rounding</b>: ${db}, max difference ${max} levels. ` +
          'Expect about 90 dB and at most 1 level; another backend may show whether this device computes differently.';
    }
    shared.last = { job, result };
    say(`Done: ${model} on ${where}, ${result.width}×${result.height} px, in ${ms(result.timings.upscale)} on this device (${result.backend}).`);
  } catch (error) {
    if (error instanceof Cancelled || signal.aborted) say('Cancelled: the browser run stopped.', 'error');
    else say(explain(error), 'error');
  } finally {
    end();
  }
}

const CSV_COLUMNS = ['model', 'patch size', 'padding', 'backend', 'model load ms', 'warm-up ms', 'upscale ms',
  'per patch ms (median)', 'patches', 'output'];

async function compare(plan, input) {
  const controller = begin();
  if (!controller) return;
  const { signal } = controller;
  const table = part('compare');
  const rows = [];
  const render = () => {
    table.innerHTML = `<tr>${CSV_COLUMNS.map((c) => `<th>${escape(c)}</th>`).join('')}</tr>` +
      rows.map((row) => `<tr>${row.map((v) => `<td>${escape(v)}</td>`).join('')}</tr>`).join('');
    table.hidden = false;
  };
  const csv = part('csv');
  csv.hidden = true;
  render();
  try {
    const pixels = await readPng(input.url, signal);
    for (const [index, job] of plan.jobs.entries()) {
      const label = `${job.model.shortId} (${job.patchSize ? `${job.patchSize}/${job.padding}` : 'whole image'})`;
      say(`Run ${index + 1} of ${plan.jobs.length}: ${label}…`);
      showProgress(index, plan.jobs.length);
      const result = await runJob(job, pixels, signal, () => {});
      deviceLine(result.backend);
      const t = result.timings;
      rows.push([job.model.shortId, job.patchSize || 'whole', job.patchSize ? job.padding : '', result.backend,
        t.load.toFixed(1), t.warmup.toFixed(1), t.upscale.toFixed(1), median(t.patches).toFixed(1), t.patches.length,
        `${result.width}×${result.height}`]);
      render();
    }
    say(`Compared ${plan.jobs.length} runs in this browser.`);
  } catch (error) {
    if (error instanceof Cancelled || signal.aborted) say(`Cancelled after ${rows.length} of ${plan.jobs.length} runs.`, 'error');
    else say(explain(error), 'error');
  } finally {
    end();
    if (rows.length) {
      const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
      const text = [CSV_COLUMNS, ...rows].map((row) => row.map(quote).join(',')).join('\n') + '\n';
      csv.hidden = false;
      csv.onclick = () => {
        const link = document.createElement('a');
        link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
        link.download = 'browser-timings.csv';
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 1000);
      };
      shared.csv = text;
    }
  }
}

// `config` is live: a page (or a test) may shorten `config.timeoutMs`. `finished` counts the runs that ended.
window.explorerBrowserRun = {
  start,
  compare,
  config: CONFIG,
  cancel: () => shared.running && shared.running.abort(),
  get finished() { return shared.finished; },
  get csv() { return shared.csv; },
};
