#!/usr/bin/env python3
"""The CPU path against its peers, measured in one run each, and the plot of docs/BENCHMARKS.md.

  bench/cpu_vs_peers.py ops [--bench build/ci/bench/cuframe_bench] [--repetitions 5]
      the CPU executor's ops against OpenCV (cuframe_bench rows, medians), per op
  bench/cpu_vs_peers.py transcode [--cuframe build/ci/host/cli/cuframe] [--ffmpeg ffmpeg] [--runs 5]
      `cuframe transcode IN OUT --codec h264 --ops resize=1280x720 --no-audio --device cpu`
      against `ffmpeg -i IN -vf scale=1280:720 -c:v libx264 -an OUT` on a 1080p HEVC file the
      ffmpeg program makes first (testsrc2, 300 frames at 30 fps): runs alternated, wall time
      and peak resident memory (the child's ru_maxrss) of each, medians and ratios
  /usr/bin/python3 bench/cpu_vs_peers.py plot [--out docs/img/cpu_vs_peers.png]
      draws both from their JSON (needs matplotlib: Debian's python3-matplotlib, installed by
      scripts/setup.sh)

Results go to build/bench/{ops,transcode}.json (--results DIR). Nothing else may run on the
machine meanwhile: run it under the build lock (flock) where the cores are shared.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (label, cuframe row, OpenCV row, target ratio): cuframe / OpenCV speed = OpenCV time / cuframe time
OPS = [
    ("NV12 -> RGB24 1080p", "BM_ColorCpu/fmt:4/w:1920/h:1080/batch:1/real_time", "BM_ColorOpenCV/real_time", 0.7),
    ("Gaussian blur RGB24 1080p", "BM_BlurCpu/real_time", "BM_BlurOpenCV/real_time", 0.7),
    ("resize NV12 1080p -> 720p bilinear", "BM_ResizeNv12Cpu/1920/1080/1/real_time",
     "BM_ResizeNv12OpenCV/1920/1080/1/real_time", 0.8),
    ("resize RGB24 1080p -> 360p bilinear", "BM_ResizeCpu/real_time", "BM_ResizeOpenCV/real_time", 0.8),
    ("resize NV12 4K -> 1440p bilinear", "BM_ResizeNv12Cpu/3840/2160/1/real_time",
     "BM_ResizeNv12OpenCV/3840/2160/1/real_time", None),
    ("resize NV12 1080p -> 720p nearest", "BM_ResizeNv12Cpu/1920/1080/0/real_time",
     "BM_ResizeNv12OpenCV/1920/1080/0/real_time", None),
    ("resize NV12 1080p -> 720p bicubic", "BM_ResizeNv12Cpu/1920/1080/2/real_time",
     "BM_ResizeNv12OpenCV/1920/1080/2/real_time", None),
    ("resize NV12 1080p -> 720p area", "BM_ResizeNv12Cpu/1920/1080/3/real_time",
     "BM_ResizeNv12OpenCV/1920/1080/3/real_time", None),
]


def machine():
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "date": datetime.date.today().isoformat(),
            "load_average_before": os.getloadavg()}


def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip().splitlines()
    except OSError:
        return []


def save(results_dir, name, data):
    os.makedirs(results_dir, exist_ok=True)
    path = os.path.join(results_dir, name)
    with open(path, "w") as f:
        json.dump(data, f, indent=2)
    print(f"wrote {path}")


def cmd_ops(a):
    rows = sorted({r for _, c, o, _ in OPS for r in (c, o)})
    pattern = "^(" + "|".join(r.replace("/real_time", "").replace("/", "/").replace(":", ":") for r in rows) + ")"
    out = subprocess.run([a.bench, f"--benchmark_filter={pattern}", f"--benchmark_repetitions={a.repetitions}",
                          "--benchmark_report_aggregates_only=true", "--benchmark_format=json"],
                         capture_output=True, text=True, check=True).stdout
    medians = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            unit = {"ms": 1e-3, "us": 1e-6, "ns": 1e-9, "s": 1.0}[b["time_unit"]]
            medians[b["run_name"]] = b["real_time"] * unit * 1e3  # ms
    table = []
    for label, c, o, target in OPS:
        if c in medians and o in medians:
            table.append({"op": label, "cuframe_ms": medians[c], "opencv_ms": medians[o],
                          "speed_vs_opencv": medians[o] / medians[c], "target": target})
    simd = [l for l in first_line([a.cuframe, "--version"]) if l.startswith("simd:")]
    data = {"machine": machine(), "simd": simd[0] if simd else "", "repetitions": a.repetitions, "ops": table}
    for t in table:
        goal = f" (target >= {t['target']}x)" if t["target"] else ""
        print(f"{t['op']:40s} cuframe {t['cuframe_ms']:7.3f} ms  OpenCV {t['opencv_ms']:7.3f} ms  "
              f"{t['speed_vs_opencv']:.2f}x{goal}")
    save(a.results, "ops.json", data)


def run_measured(argv):
    """Wall seconds and peak resident KiB of one child process."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{argv[0]} failed ({p.returncode}): {err[-2000:]}")
    return wall, usage.ru_maxrss  # KiB on Linux


def cmd_transcode(a):
    os.makedirs(a.work, exist_ok=True)
    src = os.path.join(a.work, f"testsrc2_1080p_{a.frames}_hevc.mp4")
    if not os.path.exists(src):
        subprocess.run([a.ffmpeg, "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                        f"testsrc2=size=1920x1080:rate=30:duration={a.frames / 30}", "-c:v", "libx265",
                        "-x265-params", "log-level=none", "-pix_fmt", "yuv420p", src], check=True)
    out_c = os.path.join(a.work, "cuframe.mp4")
    out_f = os.path.join(a.work, "ffmpeg.mp4")
    cuframe = [a.cuframe, "transcode", src, out_c, "--codec", "h264", "--ops", "resize=1280x720", "--no-audio",
               "--device", "cpu"]
    ffmpeg = [a.ffmpeg, "-v", "error", "-nostdin", "-y", "-i", src, "-vf", "scale=1280:720", "-c:v", "libx264", "-an",
              out_f]
    runs = {"cuframe": [], "ffmpeg": []}
    m = machine()
    for i in range(a.runs):  # alternated: a drift of the machine hits both alike
        for name, argv in (("cuframe", cuframe), ("ffmpeg", ffmpeg)) if i % 2 == 0 else (("ffmpeg", ffmpeg),
                                                                                          ("cuframe", cuframe)):
            wall, rss = run_measured(argv)
            runs[name].append({"wall_s": wall, "max_rss_kib": rss})
            print(f"run {i + 1} {name:8s} {wall:6.2f} s {rss / 1024:7.1f} MiB")
    med = {n: {"wall_s": statistics.median(r["wall_s"] for r in v),
               "max_rss_mib": statistics.median(r["max_rss_kib"] for r in v) / 1024} for n, v in runs.items()}
    ratio = {"wall": med["cuframe"]["wall_s"] / med["ffmpeg"]["wall_s"],
             "memory": med["cuframe"]["max_rss_mib"] / med["ffmpeg"]["max_rss_mib"]}
    data = {"machine": m, "input": f"1920x1080 HEVC (libx265 defaults), {a.frames} frames, testsrc2",
            "cuframe_cmd": " ".join(cuframe[:1] + [os.path.basename(x) for x in cuframe[1:]]),
            "ffmpeg_cmd": " ".join(ffmpeg[:1] + [os.path.basename(x) for x in ffmpeg[1:]]),
            "versions": {"cuframe": first_line([a.cuframe, "--version"]), "ffmpeg": first_line([a.ffmpeg, "-version"])[:1]},
            "runs": runs, "median": med, "ratio": ratio,
            "output_kib": {"cuframe": os.path.getsize(out_c) / 1024, "ffmpeg": os.path.getsize(out_f) / 1024}}
    print(f"median: cuframe {med['cuframe']['wall_s']:.2f} s {med['cuframe']['max_rss_mib']:.0f} MiB, "
          f"ffmpeg {med['ffmpeg']['wall_s']:.2f} s {med['ffmpeg']['max_rss_mib']:.0f} MiB: "
          f"time {ratio['wall']:.2f}x (target <= 1.05), memory {ratio['memory']:.2f}x (target <= 1.25)")
    save(a.results, "transcode.json", data)


def cmd_plot(a):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(os.path.join(a.results, "ops.json")) as f:
        ops = json.load(f)
    with open(os.path.join(a.results, "transcode.json")) as f:
        tr = json.load(f)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [2.2, 1]})
    rows = ops["ops"]
    names = [r["op"] for r in rows][::-1]
    speeds = [r["speed_vs_opencv"] for r in rows][::-1]
    targets = [r["target"] for r in rows][::-1]
    colors = ["#2a7ab9" if (t is None or s >= t) else "#d9822b" for s, t in zip(speeds, targets)]
    ax1.barh(names, speeds, color=colors)
    for i, (s, t) in enumerate(zip(speeds, targets)):
        ax1.text(s + 0.02, i, f"{s:.2f}x", va="center", fontsize=9)
        if t:
            ax1.plot([t, t], [i - 0.4, i + 0.4], color="black", linewidth=1.5)
    ax1.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax1.set_xlabel("cuframe CPU executor speed / OpenCV's (higher is better; black tick: target)")
    ax1.set_title(f"CPU ops vs OpenCV, medians of {ops['repetitions']} ({ops['simd']})", fontsize=10)
    med = tr["median"]
    labels = ["wall time", "peak memory"]
    x = range(len(labels))
    c = [med["cuframe"]["wall_s"] / med["ffmpeg"]["wall_s"], med["cuframe"]["max_rss_mib"] / med["ffmpeg"]["max_rss_mib"]]
    ax2.bar([i - 0.2 for i in x], [1.0, 1.0], width=0.4, label="ffmpeg program", color="#999999")
    ax2.bar([i + 0.2 for i in x], c, width=0.4, label="cuframe --device cpu", color="#2a7ab9")
    for i, (v, t) in enumerate(zip(c, [1.05, 1.25])):
        ax2.text(i + 0.2, v + 0.02, f"{v:.2f}x", ha="center", fontsize=9)
        ax2.plot([i + 0.0, i + 0.4], [t, t], color="black", linewidth=1.5)
    ax2.text(-0.2, 1.02, f"{med['ffmpeg']['wall_s']:.2f} s", ha="center", fontsize=8)
    ax2.text(0.8, 1.02, f"{med['ffmpeg']['max_rss_mib']:.0f} MiB", ha="center", fontsize=8)
    ax2.set_xticks(list(x))
    ax2.set_xticklabels(labels)
    ax2.set_ylabel("cuframe / the ffmpeg program (lower is better; black: target)", fontsize=9)
    ax2.set_title(f"1080p HEVC -> 720p H.264 transcode\nmedians of {len(tr['runs']['cuframe'])} alternated runs", fontsize=10)
    ax2.legend(loc="lower right", fontsize=8)
    m = ops["machine"]
    fig.suptitle(f"{m['cpu']}, {m['cores']} cores, {m['date']}", fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    fig.savefig(a.out, dpi=90)
    print(f"wrote {a.out}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", default=os.path.join(ROOT, "build", "bench"))
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("ops")
    o.add_argument("--bench", default=os.path.join(ROOT, "build", "ci", "bench", "cuframe_bench"))
    o.add_argument("--cuframe", default=os.path.join(ROOT, "build", "ci", "host", "cli", "cuframe"))
    o.add_argument("--repetitions", type=int, default=5)
    t = sub.add_parser("transcode")
    t.add_argument("--cuframe", default=os.path.join(ROOT, "build", "ci", "host", "cli", "cuframe"))
    t.add_argument("--ffmpeg", default=os.environ.get("CUFRAME_FFMPEG", "ffmpeg"))
    t.add_argument("--runs", type=int, default=5)
    t.add_argument("--frames", type=int, default=300)
    t.add_argument("--work", default=os.path.join(ROOT, "build", "bench", "work"))
    g = sub.add_parser("plot")
    g.add_argument("--out", default=os.path.join(ROOT, "docs", "img", "cpu_vs_peers.png"))
    a = p.parse_args()
    {"ops": cmd_ops, "transcode": cmd_transcode, "plot": cmd_plot}[a.cmd](a)


if __name__ == "__main__":
    main()
