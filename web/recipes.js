// fixnet web: the two models the page trains, with the tutorial's recipes
// ("Deep MNIST for Experts") and the limits of the page's fixed memory
// (wasm/page_memory.h). Shared by the page (form defaults and checks) and the
// worker; fx_model_new checks the same limits again and keeps the current
// model when it refuses them.

export const RECIPES = {
  softmax: {
    kind: 0,
    name: 'Softmax regression',
    optimizer: 'gradient descent',
    steps: 1000,
    batch: 100,
    learningRate: 0.5,
    keepProb: 1,
    maxBatch: 1000,
  },
  cnn: {
    kind: 1,
    name: 'Convolutional network',
    optimizer: 'Adam',
    steps: 20000,
    batch: 50,
    learningRate: 1e-4,
    keepProb: 0.5,
    maxBatch: 100,
  },
};

export const MAX_STEPS = 1000000;

// The first problem with `settings` ({ model, steps, batch, learningRate,
// keepProb, seed }) as a sentence, or null when they are fine.
export function settingsProblem({ model, steps, batch, learningRate, keepProb, seed }) {
  const recipe = RECIPES[model];
  if (!recipe) return 'choose softmax or cnn';
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS) return `steps must be a whole number from 1 to ${MAX_STEPS.toLocaleString('en')}`;
  if (!Number.isInteger(batch) || batch < 1 || batch > recipe.maxBatch) return `batch size must be a whole number from 1 to ${recipe.maxBatch} for this model`;
  if (!(learningRate > 0 && learningRate <= 100)) return 'learning rate must be a positive number, at most 100';
  if (!(keepProb > 0 && keepProb <= 1)) return 'keep probability must be above 0 and at most 1';
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) return 'seed must be a whole number from 0 to 4294967295';
  return null;
}
