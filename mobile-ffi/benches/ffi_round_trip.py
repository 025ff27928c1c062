"""Times calls through the Python bindings (run by `benches/ffi_round_trip.rs`, which made the
wallet, generated the bindings and passes in the environment: CROSSCODE_BENCH_WALLET (the
wallet folder), CROSSCODE_BENCH_KEYS (its software keystore), CROSSCODE_BENCH_ID (the stored
credential), CROSSCODE_BENCH_TRUST (a trust-cache JSON file), CROSSCODE_BENCH_SCALE (divides
the call counts; 100 for a quick check)). Prints one JSON object:
per-call medians and p99 in microseconds."""

import json
import os
import statistics
import time

import crosscode_mobile_ffi as ffi

PASSPHRASE = "bench passphrase"


class Forwarding(ffi.HolderKeystore):
    """A keystore written in Python that forwards to the Rust software keystore: every call the
    wallet makes to it crosses the FFI twice (Rust → Python → Rust), and nothing else differs."""

    def __init__(self, inner):
        self.inner = inner

    def generate(self, algorithm):
        return self.inner.generate(algorithm)

    def public_key(self, handle):
        return self.inner.public_key(handle)

    def sign(self, handle, message):
        return self.inner.sign(handle, message)

    def delete(self, handle):
        self.inner.delete(handle)


SCALE = int(os.environ.get("CROSSCODE_BENCH_SCALE", "1"))


def timed(call, count):
    count = max(3, count // SCALE)
    for _ in range(min(count, 50)):
        call()
    samples = []
    for _ in range(count):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return {"median_us": statistics.median(samples),
            "p99_us": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
            "calls": count}


def main():
    folder = os.environ["CROSSCODE_BENCH_WALLET"]
    software = ffi.software_keystore(os.environ["CROSSCODE_BENCH_KEYS"], PASSPHRASE)
    wallet = ffi.Wallet.open(folder, PASSPHRASE, software, ffi.HolderKeyAlgorithm.ED25519)
    forwarded = ffi.Wallet.open(folder, PASSPHRASE, Forwarding(software),
                                ffi.HolderKeyAlgorithm.ED25519)
    with open(os.environ["CROSSCODE_BENCH_TRUST"]) as f:
        trust = ffi.Trust.from_json(f.read())
    credential = os.environ["CROSSCODE_BENCH_ID"]
    disclose = ["statusColour", "statusDate"]
    results = {
        "trust_len": timed(trust.len, 20000),
        "list": timed(wallet.list, 2000),
        "present": timed(lambda: wallet.present(credential, disclose, "checkpoint-7", True, False), 300),
        "present_python_keystore": timed(
            lambda: forwarded.present(credential, disclose, "checkpoint-7", True, False), 300),
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
