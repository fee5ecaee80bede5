#!/usr/bin/python3
"""PyTorch peer for the fixnet benchmark (run with Debian's /usr/bin/python3).

Measures, on real MNIST data read from --data DIR (gzip IDX files):
  cnn-train      "Deep MNIST for Experts" CNN, Adam 1e-4, batch 50, random
                 minibatches, dropout keep 0.5            -> images_per_s
  softmax-train  784->10 softmax regression, SGD 0.5, batch 100 -> images_per_s
  cnn-infer      the same CNN, one image (batch 1), eval mode, no autograd
                 -> median latency_ms (images_per_s = 1000 / latency)
It warms up, times for about --seconds S, and prints ONE JSON line on stdout.

What was tried (2-core EPYC Zen 4, torch 1.13.1+dfsg from Debian 12):
  * Debian's torch links the *reference* netlib BLAS (libblas3): a 50x3136 by
    3136x1024 matmul runs at ~2.4 GFLOP/s there, versus ~38 GFLOP/s for the
    same product done by oneDNN as a convolution.  So by default the dense
    layers are computed as convolutions (--dense conv): dense 3136->1024 is a
    7x7 VALID conv over the 7x7x64 map, 1024->10 a 1x1 conv, softmax regression
    a 28x28 conv.  Same maths (the weights merely laid out as a filter), run by
    oneDNN forward and backward; both variants reach ~0.90 test accuracy after
    300 steps (--check).  --dense linear uses nn.Linear (reference BLAS) for comparison.
  * Memory format (--memfmt): channels_last vs contiguous NCHW made no difference
    beyond run-to-run noise for training (~550-630 img/s either way on 1 thread),
    so the default is plain NCHW.
  * Inference (--infer-mode): eager batch-1 forward takes ~3-4 ms under either
    torch.no_grad or torch.inference_mode (no measurable difference; oneDNN
    re-lays out the weights on every eager call), while a frozen TorchScript
    model (torch.jit.trace + freeze + optimize_for_inference, which pre-packs
    the oneDNN weights) takes ~0.6 ms.  Default: jit.
"""
import argparse, gzip, json, os, resource, statistics, subprocess, sys, time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # e.g. not run with Debian's /usr/bin/python3
    print(json.dumps({"peer": "pytorch", "error": "import failed under %s: %s" % (sys.executable, e)}))
    sys.exit(1)


def peer_name():
    # Debian's build reports torch.__version__ 1.13.0a0; the package is 1.13.1+dfsg
    try:
        v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "python3-torch"],
                           capture_output=True, text=True, timeout=10).stdout.split("+")[0]
    except OSError:
        v = ""
    return "pytorch " + (v or torch.__version__)


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(d, split="train"):
    x = load_idx(os.path.join(d, split + "-images-idx3-ubyte.gz"))
    y = load_idx(os.path.join(d, split + "-labels-idx1-ubyte.gz"))
    # kept as uint8 (47 MB); each batch is converted to float /255 when drawn
    return torch.from_numpy(x.copy()).reshape(-1, 1, 28, 28), torch.from_numpy(y.astype(np.int64))


def tn_(t, std=0.1):  # TF truncated_normal: redraw outside 2 stddev
    return nn.init.trunc_normal_(t, std=std, a=-2 * std, b=2 * std)


class Dense(nn.Module):
    """y = x W + b; as nn.Linear (BLAS) or as a conv over the kxk map (oneDNN)."""

    def __init__(self, cin, hw, cout, mode, zero=False):
        super().__init__()
        self.mode = mode
        shape = (cout, cin * hw * hw) if mode == "linear" else (cout, cin, hw, hw)
        self.w = nn.Parameter(torch.zeros(shape))
        self.b = nn.Parameter(torch.zeros(cout))
        if not zero:
            tn_(self.w)
            nn.init.constant_(self.b, 0.1)

    def forward(self, x):  # x: N,C,H,W (H=W=hw) or N,C,1,1 ; returns same rank
        if self.mode == "linear":
            return F.linear(x.flatten(1), self.w, self.b)[:, :, None, None]
        return F.conv2d(x, self.w, self.b)


class CNN(nn.Module):
    def __init__(self, dense):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 5, padding=2)
        self.c2 = nn.Conv2d(32, 64, 5, padding=2)
        for c in (self.c1, self.c2):
            tn_(c.weight)
            nn.init.constant_(c.bias, 0.1)
        self.f1 = Dense(64, 7, 1024, dense)
        self.f2 = Dense(1024, 1, 10, dense)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)  # 28 -> 14 (SAME == VALID here)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)  # 14 -> 7
        x = F.dropout(F.relu(self.f1(x)), 0.5, self.training)
        return self.f2(x).flatten(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--what", choices=["cnn-train", "softmax-train", "cnn-infer"])
    ap.add_argument("--check", action="store_true", help="train the CNN 300 steps, report test accuracy")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--dense", choices=["conv", "linear"], default="conv")
    ap.add_argument("--memfmt", choices=["nchw", "channels_last"], default="nchw")
    ap.add_argument("--infer-mode", choices=["jit", "no_grad", "inference_mode"], default="jit",
                    help="cnn-infer: frozen TorchScript (under no_grad) or eager under no_grad / inference_mode")
    a = ap.parse_args()
    if a.check:
        a.what = "cnn-train"
    elif a.what is None:
        ap.error("--what or --check is required")

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    x_all, y_all = load_mnist(a.data)
    mf = torch.channels_last if a.memfmt == "channels_last" else torch.contiguous_format
    n_train = x_all.shape[0]
    notes = "dense=%s memfmt=%s" % (a.dense, a.memfmt)

    if a.what == "softmax-train":
        model, bs = Dense(1, 28, 10, a.dense, zero=True), 100
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
    else:
        model, bs = CNN(a.dense).to(memory_format=mf), 50
        opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8)

    lat = []
    if a.what in ("cnn-train", "softmax-train"):
        model.train()

        def step():
            idx = torch.randint(0, n_train, (bs,))
            xb = (x_all[idx].float() / 255.0).contiguous(memory_format=mf)
            loss = F.cross_entropy(model(xb).flatten(1), y_all[idx])  # mean over batch
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss

        if a.check:  # does the graph learn?  test accuracy on the first 1000 t10k images
            xt, yt = load_mnist(a.data, "t10k")
            xt, yt = (xt[:1000].float() / 255.0).contiguous(memory_format=mf), yt[:1000]
            for s in range(1, 301):
                loss = step()
                if s % 100 == 0:
                    model.eval()
                    with torch.no_grad():
                        acc = (model(xt).argmax(1) == yt).float().mean().item()
                    model.train()
                    print("step %d: loss %.3f test acc (first 1000) %.3f" % (s, loss.item(), acc),
                          file=sys.stderr)
            print(json.dumps({"peer": peer_name(), "what": "check", "test_accuracy_1000": acc,
                              "ok": acc > 0.8, "notes": notes}))
            return
        for _ in range(5):
            step()
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < a.seconds:
            step()
            steps += 1
        dt = time.perf_counter() - t0
        ips, latency = steps * bs / dt, None
    else:
        model.eval()
        gm = torch.inference_mode if a.infer_mode == "inference_mode" else torch.no_grad
        notes += " infer_mode=%s" % a.infer_mode
        with gm():
            run = model
            if a.infer_mode == "jit":
                ex = (x_all[:1].float() / 255.0).contiguous(memory_format=mf)
                run = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, ex)))
            for i in range(50):
                run((x_all[i:i + 1].float() / 255.0).contiguous(memory_format=mf))
            steps, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < a.seconds:
                i = steps % n_train
                xb = (x_all[i:i + 1].float() / 255.0).contiguous(memory_format=mf)
                s = time.perf_counter()
                run(xb)
                lat.append(time.perf_counter() - s)
                steps += 1
            dt = time.perf_counter() - t0
        latency = statistics.median(lat) * 1e3
        ips = 1000.0 / latency

    print(json.dumps({
        "peer": peer_name(),
        "threads": torch.get_num_threads(), "what": a.what,
        "images_per_s": round(ips, 2), "latency_ms": None if latency is None else round(latency, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "steps": steps, "seconds": round(dt, 3), "notes": notes}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one JSON line rather than silence
        print(json.dumps({"peer": peer_name(), "error": "%s: %s" % (type(e).__name__, e)}))
        sys.exit(1)
