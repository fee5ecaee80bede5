// fixnet web: the training panel. The settings form (each model's recipe as
// defaults), the train / pause / reset buttons as the run's state allows,
// and the measured numbers: steps, images/s, time left, test accuracy.
import { RECIPES, MAX_STEPS, settingsProblem } from '../recipes.js';
import { count, duration } from './format.js';

const $ = (id) => document.getElementById(id);

export class TrainPanel {
  constructor() {
    this.form = $('settings');
    this.model = $('model');
    this.fields = { steps: $('steps'), batch: $('batch'), learningRate: $('learning-rate'), keepProb: $('keep-prob'), seed: $('seed') };
    this.buttons = { train: $('train'), pause: $('pause'), reset: $('reset') };
    this.numbers = { steps: $('steps-done'), total: $('steps-total'), rate: $('images-per-second'), left: $('time-left'), test: $('test-accuracy'), testLabel: $('test-accuracy-label') };
    this.fields.steps.max = MAX_STEPS;
    this.model.addEventListener('change', () => this.useRecipe());
    this.form.addEventListener('submit', (e) => e.preventDefault());
    this.useRecipe();
    this.clear();
  }

  // Fills the fields with the chosen model's recipe.
  useRecipe() {
    const recipe = RECIPES[this.model.value];
    const { steps, batch, learningRate, keepProb } = this.fields;
    steps.value = recipe.steps;
    batch.value = recipe.batch;
    batch.max = recipe.maxBatch;
    learningRate.value = recipe.learningRate;
    keepProb.value = recipe.keepProb;
    $('keep-prob-field').hidden = this.model.value !== 'cnn';
    $('optimizer-note').textContent = `Trained with ${recipe.optimizer}, as in TensorFlow's "Deep MNIST for Experts".`;
  }

  // The settings, or { problem } when the form does not hold valid ones.
  settings() {
    if (!this.form.reportValidity()) return { problem: 'please correct the highlighted field' };
    const f = this.fields;
    const settings = {
      model: this.model.value,
      steps: Number(f.steps.value),
      batch: Number(f.batch.value),
      learningRate: Number(f.learningRate.value),
      keepProb: Number(f.keepProb.value),
      seed: Number(f.seed.value),
    };
    const problem = settingsProblem(settings);
    return problem ? { problem } : settings;
  }

  // Enables what `state` allows: 'loading', 'idle', 'training', 'paused' or 'evaluating'.
  setState(state, { canTrain }) {
    const running = state === 'training' || state === 'paused';
    this.buttons.train.disabled = !canTrain || running;
    this.buttons.pause.disabled = !running;
    this.buttons.pause.textContent = state === 'paused' ? 'Resume' : 'Pause';
    this.buttons.reset.disabled = state === 'loading' || (state === 'idle' && !this.shown);
    this.model.disabled = running;
    for (const field of Object.values(this.fields)) field.disabled = running;
  }

  // Clears the numbers for a run of `steps` (or for none).
  clear(steps = 0) {
    this.shown = steps > 0;
    this.numbers.steps.textContent = steps ? '0' : '–';
    this.numbers.total.textContent = steps ? `of ${count(steps)}` : '';
    this.numbers.rate.textContent = '–';
    this.numbers.left.textContent = '–';
    this.numbers.test.textContent = '';
    this.numbers.testLabel.textContent = '';
    this.numbers.testLabel.title = '';
  }

  showProgress({ step, steps, imagesPerSecond, secondsLeft, evalShare }) {
    this.numbers.steps.textContent = count(step);
    this.numbers.testLabel.title = `periodic test evaluation used ${(evalShare * 100).toFixed(1)}% of the run's time`;
    if (imagesPerSecond > 0) this.numbers.rate.textContent = count(imagesPerSecond);
    this.numbers.left.textContent = step >= steps ? 'done' : secondsLeft == null ? 'measuring…' : duration(secondsLeft);
  }

  // A test accuracy: of the periodic subset (at `step`) or of the full test set.
  showTest({ accuracy, count: images, step, full }) {
    this.numbers.test.textContent = accuracy.toFixed(4);
    this.numbers.testLabel.textContent = full ? `all ${count(images)} test digits` : `${count(images)} test digits, step ${count(step)}`;
  }
}
