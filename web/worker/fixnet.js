// fixnet web, worker side: a JavaScript face for the C functions of
// wasm/bindings.cpp. It owns the WebAssembly instance, turns pointers into
// typed arrays (copies, so nothing outlives the call that produced it) and
// failed calls into FixnetError carrying fx_error()'s message.

// The buffers of fx_buffer(), by number.
export const Buffer = {
  trainImages: 0, trainLabels: 1, testImages: 2, testLabels: 3, modelFile: 4, image: 5, examples: 6, exampleLabels: 7,
};

// fixnet::LayerKind, for the inside views.
const LAYER_KINDS = { 1: 'dense', 2: 'conv2d' };

// fx_model_kind() and fx_model_new() numbering.
const KINDS = ['softmax', 'cnn', 'micro', 'other'];

const NO_INK = 10;  // fixnet::Error::no_ink
export const PIXELS = 28 * 28;
export const CLASSES = 10;

export class FixnetError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// Instantiates the module at `url` (its createFixnet() factory).
export async function loadFixnet(url) {
  const { default: createFixnet } = await import(url);
  return new Fixnet(await createFixnet());
}

class Fixnet {
  constructor(module) {
    this.m = module;
    this.imageCapacity = module._fx_buffer_capacity(Buffer.image) >>> 0;
  }

  // Throws unless `code` is 0.
  check(code) {
    if (code !== 0) throw new FixnetError(code, this.m.UTF8ToString(this.m._fx_error()));
  }

  simd() { return this.m.UTF8ToString(this.m._fx_simd()); }
  // Uses up to `threads` threads; returns how many (1 in the single-threaded module).
  setThreads(threads) { return this.m._fx_set_threads(threads); }
  staticBytes() { return this.m._fx_static_bytes() >>> 0; }
  capacity(which) { return this.m._fx_buffer_capacity(which) >>> 0; }

  // A view of buffer `which` over its whole capacity (valid as long as the
  // instance: its memory never grows).
  view(which) {
    return this.m.HEAPU8.subarray(this.m._fx_buffer(which), this.m._fx_buffer(which) + this.capacity(which));
  }

  // Parses the four IDX files already written into buffers 0..3.
  setData(sizes) {
    this.check(this.m._fx_set_data(...sizes));
  }
  trainCount() { return this.m._fx_train_count(); }
  testCount() { return this.m._fx_test_count(); }
  testImage(index) {
    const p = this.m._fx_test_image(index);
    return this.m.HEAPU8.slice(p, p + PIXELS);
  }
  testLabel(index) { return this.m._fx_test_label(index); }

  // A fresh model; `kind` is an index into KINDS (0 or 1).
  newModel({ kind, batch, learningRate, keepProb, seed }) {
    this.check(this.m._fx_model_new(kind, batch, learningRate, keepProb, seed >>> 0));
  }

  // Runs `steps` training steps; the sums of their losses and correct answers.
  train(steps) {
    this.check(this.m._fx_train(steps));
    return { loss: this.m._fx_train_loss_sum(), correct: this.m._fx_train_correct() };
  }
  modelBatch() { return this.m._fx_model_batch(); }
  // Optimizer steps the current (or last) trained model has made.
  modelSteps() { return this.m._fx_model_steps() >>> 0; }

  // Correct answers on test images [first, first + count) and their predicted classes.
  evaluate(first, count) {
    const correct = this.m._fx_evaluate(first, count);
    if (correct < 0) this.check(-1);
    const p = this.m._fx_predictions();
    return { correct, predictions: this.m.HEAPU8.slice(p, p + count) };
  }

  // Classifies an RGBA image: null when it has no ink, else the ten
  // probabilities and the 28x28 input the model saw.
  classify(rgba, width, height) {
    if (rgba.length !== width * height * 4 || rgba.length > this.imageCapacity) {
      throw new FixnetError(-1, `image of ${width}x${height} does not fit the page's image buffer`);
    }
    this.view(Buffer.image).set(rgba);
    const code = this.m._fx_classify(width, height);
    if (code === NO_INK) return null;
    this.check(code);
    const probabilities = this.m._fx_probabilities() >> 2;
    const input = this.m._fx_digit_input() >> 2;
    return {
      probabilities: this.m.HEAPF32.slice(probabilities, probabilities + CLASSES),
      input: this.m.HEAPF32.slice(input, input + PIXELS),
    };
  }

  // The outputs of the float model's convolutions and dense layers (after
  // their activations) for the last drawing classified: [{ layer, kind,
  // height, width, channels, values }] (values [height, width, channels]),
  // or null (an int8 model, no model or no drawing).
  inside() {
    const count = this.m._fx_inside();
    if (count < 0) return null;
    const floats = this.m._fx_inside_floats() >> 2;
    return Array.from({ length: count }, (_, v) => {
      const p = this.m._fx_inside_view(v) >> 2;
      const [layer, kind, height, width, channels, offset] = this.m.HEAP32.slice(p, p + 6);
      const start = floats + offset;
      return { layer, kind: LAYER_KINDS[kind], height, width, channels,
        values: this.m.HEAPF32.slice(start, start + height * width * channels) };
    });
  }

  // Writes the visitor's examples ([{ pixels: 784 bytes, label }]) into the
  // page's buffers, for examplesCorrect() and tuneStart().
  setExamples(examples) {
    const labels = this.view(Buffer.exampleLabels), pixels = this.view(Buffer.examples);
    if (examples.length > labels.length) throw new FixnetError(-1, `the page holds at most ${labels.length} examples`);
    examples.forEach((e, i) => {
      pixels.set(e.pixels, i * PIXELS);
      labels[i] = e.label;
    });
  }
  maxExamples() { return this.capacity(Buffer.exampleLabels); }

  // How many of the first `count` examples set the model reads right, and what it read.
  examplesCorrect(count) {
    const correct = this.m._fx_examples_correct(count);
    if (correct < 0) this.check(-1);
    const p = this.m._fx_predictions();
    return { correct, predictions: this.m.HEAPU8.slice(p, p + count) };
  }

  // Plans the current model for fine-tuning on the first `count` examples
  // set, mixed with MNIST's training digits (wasm/bindings.cpp, fx_tune_start).
  tuneStart(count, learningRate, seed) {
    this.check(this.m._fx_tune_start(count, learningRate, seed >>> 0));
  }
  // Runs `steps` fine-tuning steps; the sums of their losses and correct answers.
  tune(steps) {
    this.check(this.m._fx_tune(steps));
    return { loss: this.m._fx_train_loss_sum(), correct: this.m._fx_train_correct() };
  }

  // The current model as a model file.
  saveModel() {
    const size = this.m._fx_model_save();
    if (size === 0) this.check(-1);
    return this.view(Buffer.modelFile).slice(0, size);
  }

  // The largest model file the page holds, in bytes.
  modelFileCapacity() { return this.capacity(Buffer.modelFile); }

  // Replaces the model by the one in `bytes` (a model file). The bindings
  // check the whole file before touching the current model, so on failure
  // the current model is unchanged.
  loadModel(bytes) {
    if (bytes.length > this.capacity(Buffer.modelFile)) {
      throw new FixnetError(-1, 'the file is larger than any fixnet model this page can hold');
    }
    this.view(Buffer.modelFile).set(bytes);
    this.check(this.m._fx_model_load(bytes.length));
  }

  // 'softmax', 'cnn', 'micro', 'other', or null without a model.
  modelKind() {
    const kind = this.m._fx_model_kind();
    return kind < 0 ? null : KINDS[kind];
  }

  // True when the model is int8 (loaded from an int8 model file).
  modelInt8() { return this.m._fx_model_int8() === 1; }

  // A copy of the weights the page pictures: the softmax's dense layer
  // (layer 1, [784, 10]) or a CNN's first convolution (layer 0, [5, 5, 1,
  // filters] HWIO); null for other architectures or without a model.
  pictureWeights() {
    const layer = { softmax: 1, cnn: 0, micro: 0 }[this.modelKind()];
    if (layer === undefined) return null;
    const p = this.m._fx_layer_weights(layer) >> 2;
    return this.m.HEAPF32.slice(p, p + (this.m._fx_layer_weight_count(layer) >>> 0));
  }
}
