// fixnet web: model files. "Save model" downloads the worker's fx_model_save()
// bytes as a .fxn file (the native CLI's format); #model-file sends a chosen
// file to the worker, which keeps the current model if the file is refused.

export class ModelFiles {
  // `send(message, transfer)` posts to the worker; onLoading(name) is told
  // which file is on its way.
  constructor(send, onLoading) {
    this.saveButton = document.getElementById('save');
    this.input = document.getElementById('model-file');
    this.saveButton.addEventListener('click', () => send({ type: 'save' }));
    this.input.addEventListener('change', async () => {
      const file = this.input.files[0];
      if (!file) return;
      this.input.value = '';  // choosing the same file again is a change too
      onLoading(file.name);
      const bytes = await file.arrayBuffer();
      send({ type: 'load', bytes, name: file.name }, [bytes]);
    });
  }

  set canSave(yes) { this.saveButton.disabled = !yes; }

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
