#!/usr/bin/python3
"""The conventional peer for the storage benchmark: a PyTorch-DataLoader-style
loader built from pydicom + GDCM + numpy and multiprocessing.Pool.

N worker processes each fetch one file (local path, HTTP(S) Part-10 URL, or
`dicomweb:<WADO-RS instance URL>`), read it with pydicom.dcmread, decode the
pixels with GDCM and preprocess every frame into the same float32 sample
dicomflow makes (src/preprocess/pipeline.ts):

  stored values (sign, BitsStored) -> modality LUT -> resize (area average
  when shrinking, bilinear when growing) -> VOI to [0, 1] -> MONOCHROME1
  inversion -> 1 channel, float32.

The parent assembles batches in input order and prints one JSON line.

  /usr/bin/python3 bench/peer/pydicom_peer.py --list FILES.txt --workers 2 \
      --target 256x256 --voi file --batch-size 16 [--compute-ms 20] [--dump DIR] \
      [--warmup LOCAL.dcm] [--auth-env NAME]

Needs the Debian packages python3-pydicom python3-gdcm python3-numpy
(standard library otherwise).
"""
import argparse
import http.client
import json
import multiprocessing
import os
import resource
import sys
import threading
import time
import urllib.error
import urllib.request
from io import BytesIO

import numpy as np
import pydicom
import pydicom.config
import gdcm
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless

# Every compressed transfer syntax goes to GDCM and to nothing else, so a decode
# can never silently fall back to another library. numpy_handler only
# reinterprets native (uncompressed) Pixel Data bytes: it supports no
# compressed syntax, so it is not a competing decoder. pydicom 2.3's GDCM
# handler leaves RLE out of its list although GDCM decodes RLE itself; it is
# added so that RLE is GDCM's too (pydicom's own RLE handler stays unused).
pydicom.config.pixel_data_handlers = [numpy_handler, gdcm_handler]
if RLELossless not in gdcm_handler.SUPPORTED_TRANSFER_SYNTAXES:
    gdcm_handler.SUPPORTED_TRANSFER_SYNTAXES.append(RLELossless)
# GDCM's warnings (e.g. "Unsupported JPEG data precision 12" while it decodes
# 12-bit JPEG successfully) would bury the real error lines on stderr.
gdcm.Trace.WarningOff()

# Copied from src/preprocess/voi.ts (WINDOW_PRESETS): center, width in HU.
WINDOW_PRESETS = {
    "lung": (-600.0, 1500.0),
    "mediastinum": (50.0, 350.0),
    "abdomen": (40.0, 400.0),
    "brain": (40.0, 80.0),
    "bone": (400.0, 1800.0),
    "liver": (60.0, 160.0),
}

HTTP_TIMEOUT_S = 60.0
HTTP_RETRIES = 2
DICOMWEB_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'


class PeerError(Exception):
    """A file that cannot become samples; the message is the reason reported."""


# ---------------------------------------------------------------- options

def parse_target(text):
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--target must be HxW, e.g. 256x256 (got {text!r})")
    if h < 1 or w < 1:
        raise SystemExit(f"--target must be positive (got {text!r})")
    return h, w


def parse_voi(text):
    """Same grammar as src/config/preprocess.ts parseVoi, for the modes the bench uses."""
    mode, _, args = text.partition(":")
    if mode == "file" and not args:
        return ("file",)
    if mode == "minmax" and not args:
        return ("minmax",)
    if mode == "window":
        try:
            c, w = (float(v) for v in args.split(","))
        except ValueError:
            raise SystemExit(f"--voi window needs center,width: window:40,400 (got {text!r})")
        if not w >= 1:
            raise SystemExit(f"--voi window width must be at least 1 (got {w})")
        return ("window", c, w)
    if mode in WINDOW_PRESETS and not args:
        return ("window",) + WINDOW_PRESETS[mode]
    raise SystemExit(f"--voi must be file, minmax, window:center,width or a preset ({', '.join(WINDOW_PRESETS)}) (got {text!r})")


# ---------------------------------------------------------------- fetch

def http_get(url, headers):
    """One simple GET (no keep-alive), retried on 5xx and connection errors."""
    last = None
    for attempt in range(HTTP_RETRIES + 1):
        if attempt:
            time.sleep(0.2 * 2 ** (attempt - 1))
        req = urllib.request.Request(url, headers={**headers, "Connection": "close"})
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as resp:
                return resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            # Only the status: headers (Authorization) are never part of a reason.
            last = f"HTTP {e.code} {e.reason}"
            if e.code < 500:
                break
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            # Includes timeouts, resets and a body cut short (IncompleteRead).
            last = f"connection error: {type(e).__name__}: {getattr(e, 'reason', e)}"
    raise PeerError(f"GET failed after {attempt + 1} attempt(s): {last}")


def multipart_first_part(body, content_type):
    """The body of the first part of a multipart/related response (WADO-RS)."""
    boundary = None
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip().strip('"')
    if not boundary:
        raise PeerError(f"DICOMweb response is not multipart (Content-Type {content_type!r})")
    delim = b"--" + boundary.encode("latin-1")
    start = body.find(delim)
    if start < 0:
        raise PeerError("DICOMweb response has no multipart boundary")
    head_end = body.find(b"\r\n\r\n", start)
    if head_end < 0:
        raise PeerError("DICOMweb part has no header end")
    end = body.find(b"\r\n" + delim, head_end + 4)
    if end < 0:
        raise PeerError("DICOMweb part has no closing boundary")
    return body[head_end + 4:end]


def fetch(source, headers):
    if source.startswith("dicomweb:"):
        body, ctype = http_get(source[len("dicomweb:"):], {**headers, "Accept": DICOMWEB_ACCEPT})
        return multipart_first_part(body, ctype)
    if source.startswith(("http://", "https://")):
        return http_get(source, headers)[0]
    with open(source, "rb") as f:
        return f.read()


# ---------------------------------------------------------------- pixels

def first_number(value):
    """The first value of a DS/IS (multi-valued WindowCenter takes the first, as dicomflow does)."""
    if value is None:
        return None
    if isinstance(value, pydicom.multival.MultiValue):
        value = value[0] if len(value) else None
    return None if value is None or value == "" else float(value)


def functional_value(ds, keyword, macro):
    """dicomflow's pick(): top level, then the shared functional groups, then the first frame's."""
    v = first_number(ds.get(keyword))
    if v is not None:
        return v
    for seq in ("SharedFunctionalGroupsSequence", "PerFrameFunctionalGroupsSequence"):
        items = ds.get(seq)
        if items:
            for m in items[0].get(macro) or []:
                v = first_number(m.get(keyword))
                if v is not None:
                    return v
    return None


def frame_rescales(ds, frames):
    """(slope, intercept) per frame, as src/preprocess/modality.ts rescaleFor."""
    per = ds.get("PerFrameFunctionalGroupsSequence")
    if per and any(
        first_number(m.get("RescaleSlope")) is not None or first_number(m.get("RescaleIntercept")) is not None
        for item in per for m in (item.get("PixelValueTransformationSequence") or [])
    ):
        out = []
        for item in per:
            slope, intercept = 1.0, 0.0
            for m in item.get("PixelValueTransformationSequence") or []:
                s, i = first_number(m.get("RescaleSlope")), first_number(m.get("RescaleIntercept"))
                slope = s if s is not None else slope
                intercept = i if i is not None else intercept
            out.append((slope, intercept))
        if len(out) < frames:
            raise PeerError(f"per-frame rescale has {len(out)} entries for {frames} frames")
        return out
    s = functional_value(ds, "RescaleSlope", "PixelValueTransformationSequence")
    i = functional_value(ds, "RescaleIntercept", "PixelValueTransformationSequence")
    return [(1.0 if s is None else s, 0.0 if i is None else i)] * frames


def stored_values(arr, bits_stored, signed):
    """Stored values as PS3.5 8.1.1 defines them: masked to BitsStored, sign-extended when signed."""
    arr = arr.astype(arr.dtype.newbyteorder("="), copy=False)  # big endian native data
    size = arr.dtype.itemsize
    if bits_stored >= size * 8:
        return arr
    u = arr.view(np.dtype(f"u{size}")) & np.array((1 << bits_stored) - 1, dtype=f"u{size}")
    if not signed:
        return u
    shift = size * 8 - bits_stored
    return (u.view(np.dtype(f"i{size}")) << shift) >> shift


def axis_taps(src, dst):
    """The taps of src/preprocess/resize.ts axisTaps as two dst x K arrays
    (source index, weight; unused taps have weight 0): exact area coverage
    when shrinking, also for non-integer factors; bilinear with half-pixel
    centres when growing; identity when equal."""
    taps = []
    for o in range(dst):
        if dst < src:
            # In units of 1/dst every bound is an integer: source pixel i covers
            # [i*dst, (i+1)*dst), output o covers [o*src, (o+1)*src).
            a, b = o * src, o * src + src
            i0, i1 = a // dst, -(-b // dst)
            taps.append([(i, (min((i + 1) * dst, b) - max(i * dst, a)) / src) for i in range(i0, i1)])
        elif dst > src:
            num, den = (2 * o + 1) * src - dst, 2 * dst
            i0 = 0 if num <= 0 else num // den
            rem = 0 if num <= 0 else num - i0 * den
            if i0 >= src - 1 or rem == 0:
                taps.append([(min(i0, src - 1), 1.0)])
            else:
                taps.append([(i0, 1.0 - rem / den), (i0 + 1, rem / den)])
        else:
            taps.append([(o, 1.0)])
    k = max(len(t) for t in taps)
    index = np.zeros((dst, k), dtype=np.intp)
    weight = np.zeros((dst, k), dtype=np.float64)
    for o, t in enumerate(taps):
        for j, (i, w) in enumerate(t):
            index[o, j], weight[o, j] = i, w
    return index, weight


def _taps_axis0(x, index, weight):
    out = weight[:, 0, None] * x[index[:, 0]]
    for k in range(1, index.shape[1]):
        out += weight[:, k, None] * x[index[:, k]]
    return out


def resample(x, ty, tx):
    """Separable resampling of a float64 image, vectorised per tap, always
    gathering whole rows (the column pass runs on the transpose). An integer
    shrink factor on both axes is a plain block mean. O(pixels x taps)."""
    (iy, wy), (ix, wx) = ty, tx
    h, w = iy.shape[0], ix.shape[0]
    sh, sw = x.shape
    if h < sh and w < sw and sh % h == 0 and sw % w == 0:
        return x.reshape(h, sh // h, w, sw // w).mean(axis=(1, 3)).astype(np.float32)
    rows = _taps_axis0(x, iy, wy)
    return np.ascontiguousarray(_taps_axis0(np.ascontiguousarray(rows.T), ix, wx).T).astype(np.float32)


def scale_range(x, lo, hi):
    if not hi > lo:
        return np.zeros_like(x)
    return np.clip((x.astype(np.float64) - lo) * (1.0 / (hi - lo)), 0.0, 1.0).astype(np.float32)


def apply_window(x, center, width):
    """DICOM LINEAR VOI (PS3.3 C.11.2.1.2.1) to [0, 1], as voi.ts applyWindow."""
    mid = center - 0.5
    lo = mid - (width - 1) / 2
    hi = mid + (width - 1) / 2
    x64 = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = (x64 - mid) / (width - 1) + 0.5
    return np.where(x64 <= lo, 0.0, np.where(x64 > hi, 1.0, y)).astype(np.float32)


class Preprocess:
    def __init__(self, target, voi):
        self.target = target
        self.voi = voi
        self._taps = {}

    def taps(self, src, dst):
        key = (src, dst)
        if key not in self._taps:
            self._taps[key] = axis_taps(src, dst)
        return self._taps[key]

    def frames(self, ds):
        """Every frame of a dataset as an HxWx1 float32 sample."""
        pi = str(ds.PhotometricInterpretation).strip()
        if pi not in ("MONOCHROME1", "MONOCHROME2") or int(ds.get("SamplesPerPixel", 1)) != 1:
            raise PeerError(f"photometric interpretation {pi} is not grayscale; the peer handles MONOCHROME1/2 only")
        n = int(ds.get("NumberOfFrames", 1) or 1)
        arr = ds.pixel_array  # GDCM for every compressed syntax (see the handler list above)
        arr = arr.reshape(n, int(ds.Rows), int(ds.Columns))
        bits_stored = int(ds.get("BitsStored") or ds.BitsAllocated)
        arr = stored_values(arr, bits_stored, int(ds.get("PixelRepresentation", 0)) == 1)
        rescales = frame_rescales(ds, n)
        h, w = self.target
        ty = self.taps(arr.shape[1], h)
        tx = self.taps(arr.shape[2], w)
        window = None
        if self.voi[0] == "window":
            window = self.voi[1:]
        elif self.voi[0] == "file":
            c = functional_value(ds, "WindowCenter", "FrameVOILUTSequence")
            wd = functional_value(ds, "WindowWidth", "FrameVOILUTSequence")
            if c is not None and wd is not None and np.isfinite(c) and np.isfinite(wd) and wd >= 1:
                window = (c, wd)
        out = []
        for k in range(n):
            slope, intercept = rescales[k]
            x = arr[k].astype(np.float64)
            if slope != 1 or intercept != 0:
                x = x * slope + intercept
            x = x.astype(np.float32)  # modality values are float32, as in modality.ts
            if (h, w) != x.shape:
                x = resample(x.astype(np.float64), ty, tx)
            if window is not None:
                x = apply_window(x, *window)
            else:  # minmax, also the fallback of 'file'
                x = scale_range(x, float(x.min()), float(x.max()))
            if pi == "MONOCHROME1":
                x = (1.0 - x.astype(np.float64)).astype(np.float32)
            out.append(x.reshape(h, w, 1))
        return out


# ---------------------------------------------------------------- workers

_STATE = {}


def worker_init(target, voi, headers):
    _STATE["pre"] = Preprocess(target, voi)
    _STATE["headers"] = headers


def load(task):
    """Runs in a worker: ("ok", index, samples, nbytes, fetchMs, totalMs, cpuS) or ("error", index, reason, ...)."""
    index, source = task
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    fetch_ms = None
    try:
        data = fetch(source, _STATE["headers"])
        fetch_ms = (time.perf_counter() - t0) * 1000
        ds = pydicom.dcmread(BytesIO(data), force=True)
        if "TransferSyntaxUID" not in ds.file_meta:
            # A file without File Meta (no preamble): pydicom found the encoding by probing.
            ds.file_meta.TransferSyntaxUID = (
                ImplicitVRLittleEndian if ds.is_implicit_VR else ExplicitVRLittleEndian if ds.is_little_endian else ExplicitVRBigEndian
            )
        samples = _STATE["pre"].frames(ds)
        total_ms = (time.perf_counter() - t0) * 1000
        return ("ok", index, samples, len(data), fetch_ms, total_ms, time.process_time() - cpu0)
    except Exception as e:  # one bad file is an error record, never the end of the run
        reason = f"{type(e).__name__}: {e}" if not isinstance(e, PeerError) else str(e)
        return ("error", index, reason, 0, fetch_ms, None, time.process_time() - cpu0)


def bounded(items, slots):
    """Feeds imap no faster than the consumer frees slots: prefetch of
    2 files per worker, like a DataLoader's prefetch_factor=2, so memory stays
    bounded when the consumer is slower than the workers."""
    for item in items:
        slots.acquire()
        yield item


def percentile(values, p):
    return None if not values else float(np.percentile(np.asarray(values), p))


def cpu_times():
    t = os.times()
    return t.user + t.system


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--list", required=True, help="text file, one source per line")
    ap.add_argument("--workers", type=int, required=True)
    ap.add_argument("--target", required=True, help="HxW")
    ap.add_argument("--voi", required=True, help="file | minmax | window:C,W | a preset")
    ap.add_argument("--batch-size", type=int, required=True)
    ap.add_argument("--compute-ms", type=float, default=None)
    ap.add_argument("--dump", default=None, help="write sample i as DIR/<i>.npy")
    ap.add_argument("--warmup", default=None, help="a local file, not in the list, run N times (once per worker, typically) before timing")
    ap.add_argument("--auth-env", default=None, help="Authorization header from this environment variable")
    a = ap.parse_args(argv)
    if a.workers < 1:
        raise SystemExit(f"--workers must be a positive integer (got {a.workers})")
    if a.batch_size < 1:
        raise SystemExit(f"--batch-size must be a positive integer (got {a.batch_size})")
    target = parse_target(a.target)
    voi = parse_voi(a.voi)
    headers = {}
    if a.auth_env:
        value = os.environ.get(a.auth_env)
        if not value:
            raise SystemExit(f"--auth-env names {a.auth_env}, which is not set")
        headers["Authorization"] = value
    with open(a.list, encoding="utf-8") as f:
        sources = [line.strip() for line in f if line.strip()]
    if a.dump:
        os.makedirs(a.dump, exist_ok=True)

    ctx = multiprocessing.get_context("fork")  # workers inherit the imported pydicom/GDCM, as DataLoader workers do on Linux
    pool = ctx.Pool(a.workers, initializer=worker_init, initargs=(target, voi, headers))
    warm_cpu = 0.0
    if a.warmup:
        for r in pool.imap_unordered(load, [(-1, a.warmup)] * a.workers, chunksize=1):
            if r[0] != "ok":
                raise SystemExit(f"warm-up file {a.warmup} failed: {r[2]}")
            warm_cpu += r[6]

    frames = files = errors = nbytes = 0
    latencies, fetches = [], []
    compute_s = 0.0
    batch = []
    sample_index = 0

    def consume(batch):
        nonlocal compute_s
        x = np.stack(batch)  # the batch tensor a trainer would get: B x H x W x 1 float32
        if a.compute_ms:
            t = time.perf_counter()
            time.sleep(a.compute_ms / 1000)
            compute_s += time.perf_counter() - t
        return x

    slots = threading.BoundedSemaphore(2 * a.workers)
    cpu0 = cpu_times()
    t0 = time.perf_counter()
    for r in pool.imap(load, bounded(enumerate(sources), slots), chunksize=1):
        slots.release()
        status, index = r[0], r[1]
        if r[4] is not None:
            fetches.append(r[4])
        if status != "ok":
            errors += 1
            print(f"pydicom_peer: {sources[index]}: {r[2]}", file=sys.stderr)
            continue
        files += 1
        nbytes += r[3]
        latencies.append(r[5])
        for s in r[2]:
            frames += 1
            if a.dump:
                np.save(os.path.join(a.dump, f"{sample_index}.npy"), s)
            sample_index += 1
            batch.append(s)
            if len(batch) == a.batch_size:
                consume(batch)
                batch = []
    if batch:
        consume(batch)
    seconds = time.perf_counter() - t0
    parent_cpu = cpu_times() - cpu0
    pool.close()
    pool.join()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Children's CPU is known only once they have exited; the warm-up work is taken out again.
    children_cpu = max(0.0, ru.ru_utime + ru.ru_stime - warm_cpu)

    print(json.dumps({
        "frames": frames,
        "files": files,
        "errors": errors,
        "seconds": seconds,
        "framesPerSecond": frames / seconds if seconds > 0 else None,
        "mbPerSecond": nbytes / 1e6 / seconds if seconds > 0 else None,
        "p50Ms": percentile(latencies, 50),
        "p99Ms": percentile(latencies, 99),
        "fetchP50Ms": percentile(fetches, 50),
        "fetchP99Ms": percentile(fetches, 99),
        "cpuSeconds": parent_cpu + children_cpu,
        "acceleratorUtilisation": compute_s / seconds if a.compute_ms and seconds > 0 else None,
        "workers": a.workers,
        "gdcm": gdcm.Version.GetVersion(),
        "pydicom": pydicom.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
