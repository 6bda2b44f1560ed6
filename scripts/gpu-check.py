"""The one command to run when a machine with a GPU is at hand (scripts/gpu-check.sh wraps it).

On the GPU it runs: every device test of CTest's list (the lavapipe variants, with the driver
and device swapped for the GPU's; the .split ones too; not the simulated-families ones, since a
GPU has real families), which includes `vkgraph run --verify --validate` on every example, the C
examples, the README example and the demo under --validate; then the device benchmarks. It
writes one summary file and a tarball of every log.

usage: gpu-check.sh [BUILD_DIR (build)]
environment:
  GPU_CHECK_DEVICE   the device to check (a name substring, as VKG_DEVICE); default: the device
                     vkgraph picks when it is not a CPU driver (else it stops, exit 77).
                     Naming a CPU driver ("llvmpipe") checks this script itself on any machine.
  GPU_CHECK_ICD      driver manifest to use (VK_DRIVER_FILES); default: the loader's own search,
                     or VKG_GPU_ICD where the GPU machine's set-up gives it
  GPU_CHECK_SECONDS  stop starting tests after this long (default 420)
  GPU_CHECK_BENCH    0 skips the benchmarks; "short" runs them at tiny sizes
  OUT                where the summary and the logs go (default BUILD_DIR/gpu-check)
"""
import json, os, re, shutil, subprocess, sys, tarfile, time

build = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else "build")
root = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
out = os.environ.get("OUT") or os.path.join(build, "gpu-check")
logs = os.path.join(out, "gpu-check-logs")
shutil.rmtree(logs, ignore_errors=True)
os.makedirs(logs, exist_ok=True)
deadline = time.time() + float(os.environ.get("GPU_CHECK_SECONDS", "420"))
icd = os.environ.get("GPU_CHECK_ICD") or os.environ.get("VKG_GPU_ICD") or ""
summary = []


def say(line):
    print(line, flush=True)
    summary.append(line)


def base_env():
    env = dict(os.environ)
    for k in ("VK_DRIVER_FILES", "VK_ICD_FILENAMES"):
        env.pop(k, None)
    if icd:
        env["VK_DRIVER_FILES"] = icd
    env["VK_ADD_LAYER_PATH"] = os.path.join(build, "layer")
    return env


def run(cmd, env, cwd=None, timeout=180):
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        text = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return "timeout", text
    except OSError as e:
        return "not run", str(e)


# --- which device ---------------------------------------------------------------------------
vkgraph = os.path.join(build, "vkgraph")
rc, text = run([vkgraph, "devices"], base_env())
open(os.path.join(logs, "devices.txt"), "w").write(text)
want = os.environ.get("GPU_CHECK_DEVICE")
if not want:
    for block in text.split("\n\n"):
        if "<- vkgraph picks this" in block and "type: CPU" not in block:
            m = re.search(r"\[\d+\] (.*?)\s+<- vkgraph picks this", block)
            want = m.group(1) if m else None
if not want:
    print("gpu-check: no GPU found (vkgraph devices lists only CPU drivers or none); set "
          "GPU_CHECK_DEVICE=NAME to check another device")
    sys.exit(77)
say(f"gpu-check: {want} ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
    f"host {os.uname().nodename}, build {build})")
try:
    smi = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True).stdout.strip()
    if smi:
        say(f"  nvidia-smi: {smi.splitlines()[0]}")
except OSError:
    pass
picked = [b for b in text.split("\n\n") if want.lower() in b.lower()]
for line in (picked[0].splitlines() if picked else []):
    say("  " + line.strip())

# --- device tests from CTest's list ---------------------------------------------------------
def test_list():
    if shutil.which("ctest"):
        p = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build, capture_output=True,
                           text=True)
        if p.returncode == 0:
            return json.loads(p.stdout)["tests"]
    for path in (os.path.join(os.path.dirname(build), "tests.json"),
                 os.path.join(build, "tests.json")):
        if os.path.exists(path):
            return json.load(open(path))["tests"]
    return None

tests = test_list()
ok = bad = skipped = 0
failures = []
if tests is None:
    say("device tests: no CTest list (no ctest here and no tests.json beside the build)")
else:
    for t in tests:
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        labels = props.get("LABELS", [])
        if "lavapipe" not in labels or "families" in labels or "families-pending" in labels:
            continue
        if time.time() > deadline:
            say("out of time (GPU_CHECK_SECONDS): the remaining tests were not started")
            break
        env = base_env()
        for kv in props.get("ENVIRONMENT", []):
            k, v = kv.split("=", 1)
            if k in ("VK_DRIVER_FILES", "VK_ICD_FILENAMES"):
                continue
            env[k] = want if k in ("VKG_TEST_DEVICE", "VKG_DEVICE") else v
        env["VKG_DEVICE"] = env["VKG_TEST_DEVICE"] = want
        name = t["name"].replace(".lavapipe", ".gpu")
        missing = [a for a in t["command"] if a.startswith("/") and a.endswith("xvfb-run")
                   and not os.path.exists(a)]
        if missing:
            skipped += 1
            failures.append(f"SKIP {name}: {missing[0]} is not installed here")
            continue
        started = time.time()
        rc, text = run(t["command"], env, cwd=props.get("WORKING_DIRECTORY"))
        open(os.path.join(logs, name + ".txt"), "w").write(text)
        if rc == 0:
            ok += 1
        elif rc == props.get("SKIP_RETURN_CODE", 77):
            skipped += 1
            failures.append(f"SKIP {name}: " + " | ".join(text.strip().splitlines()[-1:])[:300])
        else:
            bad += 1
            failures.append(f"FAIL {name} ({rc}, {time.time() - started:.1f} s): "
                            + " | ".join(text.strip().splitlines()[-3:])[:500])
    say(f"device tests on {want}: {ok} passed, {skipped} skipped, {bad} failed")
    summary.extend("  " + f for f in failures)

# --- device benchmarks ----------------------------------------------------------------------
bench_mode = os.environ.get("GPU_CHECK_BENCH", "1")
if bench_mode != "0":
    say("device benchmarks" + (" (short)" if bench_mode == "short" else "") + ":")
    for b in ("execute", "completions", "upload", "resources", "bindless"):
        exe = os.path.join(build, "bench", "bench_" + b)
        if not os.path.exists(exe):
            say(f"  bench_{b}: not built")
            continue
        if time.time() > deadline + 120:
            say(f"  bench_{b}: not started (out of time)")
            continue
        env = base_env()
        env["VKG_DEVICE"] = want
        if bench_mode == "short":
            env["VKG_BENCH_SHORT"] = "1"
        rc, text = run([exe], env, timeout=240)
        open(os.path.join(logs, f"bench_{b}.txt"), "w").write(text)
        figures = [l for l in text.splitlines() if l.startswith("figure ")]
        say(f"  bench_{b}: exit {rc}, {len(figures)} figures")
        summary.extend("    " + f for f in figures)
        if rc != 0:
            bad += 1
            summary.extend("    " + l for l in text.strip().splitlines()[-3:])

path = os.path.join(out, "gpu-check-summary.txt")
open(path, "w").write("\n".join(summary) + "\n")
shutil.copy(path, os.path.join(logs, "summary.txt"))
with tarfile.open(os.path.join(out, "gpu-check-logs.tar.gz"), "w:gz") as tar:
    tar.add(logs, arcname="gpu-check-logs")
print(f"gpu-check: summary {path}, logs {os.path.join(out, 'gpu-check-logs.tar.gz')}")
sys.exit(1 if bad else 0)
