"""``python -m benchmarks NAME [options]``: run one benchmark."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "env": "single env, native vector env (N=64) and SB3 DummyVecEnv steps/s on the hotel",
    "physics": "batched 5R1C thermal + HVAC kernel, 10,000 zones x one year of 15-min steps",
    "hotel": "shipped hotel (120 rooms, 14 days) end to end; guest update Numba vs Mesa",
    "store": "shipped store day; shopper update Numba vs Mesa; StoreVectorEnv vs DummyVecEnv",
    "hw": "write + read-back round trips of the MQTT, Modbus and BACnet adapters (loopback)",
    "homes": "10,000 homes for a year with their residents; resident update Numba vs Mesa",
    "sweep": "sweep throughput on a local process pool: 2 workers vs 1 in the same run",
    "train": "wall time until PPO's held-out reward beats the baseline (95 % CIs), per venue",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in BENCHMARKS:
        print("usage: python -m benchmarks NAME [options]\n\nbenchmarks:")
        for name, text in BENCHMARKS.items():
            print(f"  {name:10s} {text}")
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    module = importlib.import_module(f"benchmarks.{argv[0]}")
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
