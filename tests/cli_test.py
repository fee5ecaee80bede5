#!/usr/bin/env python3
"""fixnet tests: the fixnet-mnist command line, run as a user would.

Usage: cli_test.py FIXNET_MNIST [DEFAULT_MNIST_DIR]
Data comes from $MNIST_DIR, else DEFAULT_MNIST_DIR; without data the tests that
need it are skipped (exit 77 when nothing could run), or fail under CI=true.
"""
import gzip
import os
import subprocess
import struct
import sys
import tempfile
import unittest
import zlib

BINARY = None
DATA = None
SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What tools/page-model printed for the web page's model.
PAGE_MODEL_ACCURACY = "test accuracy 0.9895"


def run(*args, **kw):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=kw.get("timeout", 300))


def have_data():
    return DATA is not None and any(
        os.path.exists(os.path.join(DATA, "t10k-images-idx3-ubyte" + ext)) for ext in ("", ".gz"))


def read_idx(name):
    path = os.path.join(DATA, name)
    opener = gzip.open if os.path.exists(path + ".gz") else open
    with opener(path + ".gz" if os.path.exists(path + ".gz") else path, "rb") as f:
        return f.read()


class CommandLine(unittest.TestCase):
    def test_bad_arguments_print_usage_and_fail(self):
        for args, message in [
            ([], "usage:"),
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["train"], "train needs --model softmax, cnn, micro or nano"),
            (["train", "--model", "mlp"], "unknown model 'mlp' (choose softmax, cnn, micro or nano)"),
            (["train", "--model", "cnn", "--steps", "-3"], "--steps must be an integer from 1 to 1000000000 (got '-3')"),
            (["train", "--model", "cnn", "--lr", "abc"], "--lr must be a number greater than"),
            (["train", "--model", "softmax", "--keep-prob", "0.5"], "--keep-prob applies only to a model with dropout"),
            (["train", "--model", "cnn", "--colour", "red"], "unknown option --colour for 'train'"),
            (["train", "--model", "cnn", "--steps"], "option --steps needs a value"),
            (["eval"], "eval needs --model-file FILE"),
            (["classify", "--model-file", "x.fxn"], "classify needs at least one IMAGE"),
            (["quantize", "--model-file", "x.fxn"], "quantize needs --out FILE"),
            (["quantize", "--out", "q.fxn"], "quantize needs --model-file FILE"),
            (["quantize", "--model-file", "x.fxn", "--out", "q.fxn", "--calibration", "0"],
             "--calibration must be an integer from 1 to 60000 (got '0')"),
            (["export", "--model-file", "x.fxn", "--name", "m"], "export needs --format c (a C++ header)"),
            (["export", "--model-file", "x.fxn", "--format", "c", "--name", "9lives"],
             "--name must be a C identifier (letters, digits, _)"),
        ]:
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 2)
                self.assertIn(message, r.stderr)
                self.assertIn("usage:", r.stderr)

    def test_help_goes_to_stdout(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("fixnet-mnist train --model softmax|cnn|micro|nano", r.stdout)

    def test_missing_data_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as empty:
            r = run("train", "--model", "softmax", "--data", empty)
            self.assertEqual(r.returncode, 1)
            self.assertIn("MNIST file train-images-idx3-ubyte[.gz] not found in " + empty, r.stderr)

    def test_bad_model_files_are_refused(self):
        with tempfile.TemporaryDirectory() as tmp:
            junk = os.path.join(tmp, "junk.fxn")
            with open(junk, "wb") as f:
                f.write(b"PNG not a model at all")
            r = run("classify", "--model-file", junk, "x.png")
            self.assertEqual(r.returncode, 1)
            self.assertIn("not a fixnet model file (bad magic)", r.stderr)
            r = run("eval", "--model-file", os.path.join(tmp, "missing.fxn"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("missing.fxn: No such file or directory", r.stderr)
        # A valid 188-byte file (a 4096x4096 input) whose plan for eval's batch of 100 asks 12 GiB or
        # more (with the threads' scratch): refused before anything is allocated.
        big = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "big_arena.fxn")
        r = run("eval", "--model-file", big)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"big_arena.fxn: the model needs 1\d\.\d\d GiB of memory at batch 100, "
                                   r"more than the 1 GiB allowed")


class WithData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not have_data():
            raise unittest.SkipTest("no MNIST data: set MNIST_DIR or run tools/fetch-mnist")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "softmax.fxn")
        cls.train = run("train", "--model", "softmax", "--data", DATA, "--out", cls.model)

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "tmp"):
            cls.tmp.cleanup()

    def test_train_prints_the_tutorial_lines_and_saves(self):
        r = self.train
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        steps = [l for l in lines if l.startswith("step ")]
        self.assertEqual(len(steps), 10)
        self.assertTrue(steps[1].startswith("step 100, training accuracy "))
        accuracy = [l for l in lines if l.startswith("test accuracy ")]
        self.assertEqual(len(accuracy), 1)
        self.assertGreaterEqual(float(accuracy[0].split()[-1]), 0.85)
        self.assertTrue(os.path.exists(self.model))
        self.assertEqual([f for f in os.listdir(self.tmp.name) if ".tmp" in f], [])

    def test_the_pages_shipped_model_is_its_recipes(self):
        # web/models/micro.fxn, made by tools/page-model: a float file (version 1)
        # of the micro architecture (its header and layer records equal those of
        # a micro model trained here for one step), with the test accuracy it had.
        shipped = os.path.join(SOURCE, "web", "models", "micro.fxn")
        fresh = os.path.join(self.tmp.name, "micro-1.fxn")
        r = run("train", "--model", "micro", "--steps", "1", "--data", DATA, "--out", fresh)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(shipped, "rb") as f:
            page = f.read()
        with open(fresh, "rb") as f:
            recipe = f.read()
        layers = struct.unpack_from("<I", recipe, 20)[0]
        self.assertEqual(page[:24 + 32 * layers], recipe[:24 + 32 * layers])
        self.assertEqual(len(page), len(recipe))
        r = run("eval", "--model-file", shipped, "--data", DATA)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), PAGE_MODEL_ACCURACY)

    def test_eval_reproduces_the_test_accuracy(self):
        trained = [l for l in self.train.stdout.splitlines() if l.startswith("test accuracy ")][0]
        r = run("eval", "--model-file", self.model, "--data", DATA)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), trained)

    def test_gzip_files_of_several_members_are_read_whole(self):
        trained = [l for l in self.train.stdout.splitlines() if l.startswith("test accuracy ")][0]
        with tempfile.TemporaryDirectory() as d:
            for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                         "t10k-labels-idx1-ubyte"):
                raw = read_idx(name)
                half = len(raw) // 2  # two members, as `cat a.gz b.gz` makes
                with open(os.path.join(d, name + ".gz"), "wb") as f:
                    f.write(gzip.compress(raw[:half], 1) + gzip.compress(raw[half:], 1))
            r = run("eval", "--model-file", self.model, "--data", d)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), trained)
            labels = os.path.join(d, "t10k-labels-idx1-ubyte.gz")
            with open(labels, "ab") as f:
                f.write(b"not gzip")
            r = run("eval", "--model-file", self.model, "--data", d)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(labels + ": data after the end of the gzip stream is not gzip", r.stderr)

    def test_bad_image_headers_are_refused_before_decoding(self):
        # Files found by fuzzing: a BMP of 145 bytes declaring 7,995,420 x 28 pixels, a JPEG whose
        # Huffman table counts 410 codes (the decoder would write past an array) and a PPM whose
        # width has 11 digits (the decoder's int would overflow); a JPEG whose table counts run past the
        # end of the file (read as zeros, they sum to 697).
        data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
        expected = {
            "bmp_wide_145b.bmp": "the image is 7995420 x 28 pixels; at most 16384 a side and 64 million in all",
            "jpeg_dht_n_gt_256_86b.jpg": "JPEG: a Huffman table lists 410 codes (at most 256)",
            "jpeg_dht_past_end_62b.jpg": "JPEG: a Huffman table lists 697 codes (at most 256)",
            "pnm_int_overflow.pgm": "PNM: a header number has 11 digits (at most 9)",
        }
        for name, message in expected.items():
            r = run("classify", "--model-file", self.model, os.path.join(data, name))
            self.assertEqual(r.returncode, 1, name)
            self.assertIn(name + ": " + message, r.stderr)

    def test_classify_reads_images_and_reports_bad_ones(self):
        images = read_idx("t10k-images-idx3-ubyte")[16:]
        labels = read_idx("t10k-labels-idx1-ubyte")[8:]
        paths, truth = [], []
        for i in range(20):
            path = os.path.join(self.tmp.name, "digit%d.pgm" % i)
            pixels = bytes(255 - p for p in images[i * 784:(i + 1) * 784])  # dark ink on white paper
            with open(path, "wb") as f:
                f.write(b"P5\n28 28\n255\n" + pixels)
            paths.append(path)
            truth.append(labels[i])
        broken = os.path.join(self.tmp.name, "broken.png")
        with open(broken, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n truncated")
        blank = os.path.join(self.tmp.name, "blank.pgm")
        with open(blank, "wb") as f:
            f.write(b"P5\n8 8\n255\n" + bytes([255] * 64))
        r = run("classify", "--model-file", self.model, paths[0], broken, blank, *paths[1:])
        self.assertEqual(r.returncode, 1)
        self.assertIn(broken + ": cannot read image", r.stderr)
        self.assertIn(blank + ": no digit found (the image has no ink)", r.stderr)
        rows = [l.split("\t") for l in r.stdout.splitlines()]
        self.assertEqual([row[0] for row in rows], paths)
        right = sum(int(row[1]) == t for row, t in zip(rows, truth))
        self.assertGreaterEqual(right, 16)
        for row in rows:
            self.assertTrue(0.0 < float(row[2]) <= 1.0)

    def test_a_cnn_classifies_alike_on_one_and_two_threads(self):
        cnn = os.path.join(self.tmp.name, "cnn.fxn")
        r = run("train", "--model", "cnn", "--data", DATA, "--steps", "30", "--out", cnn)
        self.assertEqual(r.returncode, 0, r.stderr)
        images = read_idx("t10k-images-idx3-ubyte")[16:]
        paths = []
        for i in range(8):
            path = os.path.join(self.tmp.name, "cnn-digit%d.pgm" % i)
            with open(path, "wb") as f:
                f.write(b"P5\n28 28\n255\n" + bytes(255 - p for p in images[i * 784:(i + 1) * 784]))
            paths.append(path)
        outputs = []
        for threads in ("1", "2"):
            r = run("classify", "--model-file", cnn, "--threads", threads, *paths)
            self.assertEqual(r.returncode, 0, r.stderr)
            outputs.append([line.split("\t") for line in r.stdout.splitlines()])
        one, two = outputs
        self.assertEqual([row[1] for row in one], [row[1] for row in two])
        for a, b in zip(one, two):
            self.assertAlmostEqual(float(a[2]), float(b[2]), places=3)
        self.assertGreater(len({row[2] for row in one}), 1)  # not one answer for every image

    def test_quantize_eval_classify_and_export_an_int8_model(self):
        nano = os.path.join(self.tmp.name, "nano.fxn")
        int8 = os.path.join(self.tmp.name, "nano-int8.fxn")
        r = run("train", "--model", "nano", "--data", DATA, "--steps", "300", "--out", nano)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("quantize", "--model-file", nano, "--out", int8, "--data", DATA, "--calibration", "500")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("calibrated on 500 training images", r.stdout)
        lines = dict(l.rsplit(" ", 1) for l in r.stdout.splitlines() if " test accuracy " in l or l.startswith("float"))
        float_accuracy, int8_accuracy = float(lines["float test accuracy"]), float(lines["int8 test accuracy"])
        self.assertGreater(float_accuracy, 0.8)
        self.assertLess(abs(float_accuracy - int8_accuracy), 0.01)
        with open(int8, "rb") as f:
            header = f.read(8)
        self.assertEqual(header, b"FXNM\x02\x00\x00\x00")
        # eval prints exactly the accuracy quantize measured; classify prints the same columns.
        r = run("eval", "--model-file", int8, "--data", DATA)
        self.assertEqual(r.stdout.strip(), "test accuracy %s" % lines["int8 test accuracy"])
        images = read_idx("t10k-images-idx3-ubyte")[16:]
        path = os.path.join(self.tmp.name, "int8-digit.pgm")
        with open(path, "wb") as f:
            f.write(b"P5\n28 28\n255\n" + bytes(255 - p for p in images[:784]))
        r = run("classify", "--model-file", int8, path)
        self.assertEqual(r.returncode, 0, r.stderr)
        row = r.stdout.strip().split("\t")
        self.assertEqual(row[0], path)
        self.assertIn(int(row[1]), range(10))
        self.assertTrue(0.0 < float(row[2]) <= 1.0)
        # An int8 file is not quantized again; export writes a header either way.
        r = run("quantize", "--model-file", int8, "--out", os.path.join(self.tmp.name, "again.fxn"), "--data", DATA)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already an int8 model", r.stderr)
        header = os.path.join(self.tmp.name, "nano_model.h")
        r = run("export", "--model-file", int8, "--format", "c", "--name", "nano_model", "--out", header)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(header) as f:
            text = f.read()
        self.assertIn("namespace nano_model", text)
        self.assertIn("fixnet::Int8Parameters kParameters", text)

    def test_a_resumed_training_equals_an_unbroken_one(self):
        whole = os.path.join(self.tmp.name, "whole.fxn")
        resumed = os.path.join(self.tmp.name, "resumed.fxn")
        state = os.path.join(self.tmp.name, "state.fxs")
        r = run("train", "--model", "nano", "--data", DATA, "--steps", "60", "--out", whole)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("train", "--model", "nano", "--data", DATA, "--steps", "30", "--save-state", state)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run("train", "--model", "nano", "--data", DATA, "--steps", "60", "--resume", state, "--out", resumed)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("resuming %s at step 30" % state, r.stdout)
        with open(whole, "rb") as a, open(resumed, "rb") as b:
            self.assertEqual(a.read(), b.read())
        r = run("train", "--model", "nano", "--data", DATA, "--steps", "60", "--resume", state, "--seed", "3")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--seed does not apply to --resume", r.stderr)
        r = run("train", "--model", "micro", "--data", DATA, "--steps", "60", "--resume", state)
        self.assertEqual(r.returncode, 1)
        self.assertIn("it holds a different architecture than this model", r.stderr)

    def test_training_that_diverges_stops_and_writes_nothing(self):
        # Training states made to diverge on resuming: huge but finite biases of the
        # last layer (+-3e38: some logits' log-softmax is -inf, so the loss is not
        # finite), and huge first-layer weights (conv outputs overflow; the NaNs
        # they make are zeroed by a ReLU, so the loss stays finite, but the
        # gradients make parameters NaN).
        state = os.path.join(self.tmp.name, "state.fxs")
        r = run("train", "--model", "nano", "--data", DATA, "--steps", "30", "--save-state", state)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(state, "rb") as f:
            good = f.read()
        layers = struct.unpack_from("<I", good, 20)[0]
        count = struct.unpack_from("<Q", good, 24 + 32 * layers)[0]
        first = 24 + 32 * layers + 8  # the parameters, after their count
        cases = [
            (first + 4 * (count - 10), [3e38, -3e38] * 5, r"at step (3\d|4\d|5\d) \(the loss is not finite\)"),
            (first, [3e38] * 64, r"by step 59 \(a parameter is not finite\)"),
        ]
        for at, values, why in cases:
            data = bytearray(good)
            struct.pack_into("<%df" % len(values), data, at, *values)
            struct.pack_into("<I", data, len(data) - 4, zlib.crc32(bytes(data[:-4])))
            bad = os.path.join(self.tmp.name, "huge.fxs")
            with open(bad, "wb") as f:
                f.write(data)
            out = os.path.join(self.tmp.name, "diverged.fxn")
            r = run("train", "--model", "nano", "--data", DATA, "--steps", "60", "--resume", bad, "--out", out,
                    "--save-state", out + ".state")
            self.assertEqual(r.returncode, 1)
            self.assertRegex(r.stderr, "training diverged %s; no model written; try a smaller --lr" % why)
            self.assertFalse(os.path.exists(out))
            self.assertFalse(os.path.exists(out + ".state"))

    def test_out_to_a_missing_directory_fails_without_leaving_a_file(self):
        target = os.path.join(self.tmp.name, "no-such-dir", "m.fxn")
        r = run("train", "--model", "softmax", "--data", DATA, "--steps", "5", "--out", target)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no-such-dir/m.fxn", r.stderr)
        self.assertFalse(os.path.exists(os.path.dirname(target)))


if __name__ == "__main__":
    BINARY = sys.argv[1]
    DATA = os.environ.get("MNIST_DIR") or (sys.argv[2] if len(sys.argv) > 2 else None)
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped and os.environ.get("CI") == "true":
        print("cli_test: FAILED: %d tests skipped, and CI=true allows none" % len(result.skipped))
        sys.exit(1)
    sys.exit(77 if result.testsRun == len(result.skipped) else 0)
