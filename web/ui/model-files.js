// fixnet web: model files. "Save model" downloads the worker's fx_model_save()
// bytes as a .fxn file (the native CLI's format). A file chosen with
// #model-file or dropped anywhere on the page goes to the worker, which keeps
// the current model if the file is refused; files that cannot be model files
// (empty, larger than the page holds) are refused here, unread.
import * as format from './format.js';

export class ModelFiles {
  // `send(message, transfer)` posts to the worker. `busy()` says why no file
  // may be loaded now (or null); onLoading(name) is told which file is on its
  // way, onRefused(sentence) why one was refused.
  constructor(send, { busy, onLoading, onRefused }) {
    this.send = send;
    this.busy = busy;
    this.onLoading = onLoading;
    this.onRefused = onRefused;
    this.maxBytes = 0;  // the largest model file the page holds, once the module says
    this.saveButton = document.getElementById('save');
    this.input = document.getElementById('model-file');
    this.saveButton.addEventListener('click', () => send({ type: 'save' }));
    this.input.addEventListener('change', () => {
      const file = this.input.files[0];
      this.input.value = '';  // choosing the same file again is a change too
      if (file) this.load(file);
    });
    document.addEventListener('dragover', (e) => {
      if (!e.dataTransfer.types.includes('Files')) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      document.body.classList.add('dropping');
    });
    document.addEventListener('dragleave', (e) => {
      if (e.relatedTarget === null) document.body.classList.remove('dropping');
    });
    document.addEventListener('drop', (e) => {
      document.body.classList.remove('dropping');
      if (!e.dataTransfer.types.includes('Files')) return;
      e.preventDefault();
      const dropped = [...e.dataTransfer.files];
      if (dropped.length !== 1) return this.onRefused(`drop one model file at a time (${dropped.length} were dropped)`);
      this.load(dropped[0]);
    });
  }

  set canSave(yes) { this.saveButton.disabled = !yes; }

  // Why `file` cannot be loaded now, or null.
  problem(file) {
    const busy = this.busy();
    if (busy) return `cannot load ${file.name}: ${busy}`;
    if (this.maxBytes === 0) return `cannot load ${file.name} yet: the page is still loading`;
    if (file.size === 0) return `cannot load ${file.name}: the file is empty`;
    if (file.size > this.maxBytes) {
      return `cannot load ${file.name}: it is ${format.bytes(file.size)}, and the largest model file this page ` +
        `holds is ${format.bytes(this.maxBytes)}`;
    }
    return null;
  }

  async load(file) {
    const problem = this.problem(file);
    if (problem) return this.onRefused(problem);
    this.onLoading(file.name);
    let bytes;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      return this.onRefused(`cannot read ${file.name} (${e.message})`);
    }
    this.send({ type: 'load', bytes, name: file.name }, [bytes]);
  }

  // Downloads the worker's answer to 'save'; returns the file's name.
  download({ bytes, kind }) {
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `fixnet-${kind}.fxn`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    return a.download;
  }
}
