"""Checks on checkpoints written by the local_sgd example, read with torch.load.

  replicas-equal CKPT     every rank's saved replica equals every other's and the state_dict
  replicas-differ CKPT    the ranks' replicas are not all equal
  weights-close A B TOL   max |a - b| / max |b| per tensor of state_dict is at most TOL
  bitwise-equal A B       the state_dicts and the ranks' replicas are bitwise equal
"""
import sys

import torch


def load(path):
    return torch.load(path, map_location="cpu")


def replicas(ckpt):
    states = ckpt["volt_strategy_states"]
    assert len(states) == 2, f"expected the states of 2 ranks, got {len(states)}"
    return [s["weights"] for s in states]


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def main(command, *args):
    if command == "replicas-equal":
        ckpt = load(args[0])
        r0, r1 = replicas(ckpt)
        assert same(r0, r1), f"{args[0]}: the ranks' replicas differ"
        assert same(r0, dict(ckpt["state_dict"])), f"{args[0]}: state_dict is not the replica"
    elif command == "replicas-differ":
        r0, r1 = replicas(load(args[0]))
        assert not same(r0, r1), f"{args[0]}: the replicas are equal between averagings"
    elif command == "weights-close":
        a, b = load(args[0])["state_dict"], load(args[1])["state_dict"]
        assert a.keys() == b.keys()
        worst = max(((a[k] - b[k]).abs().max() / b[k].abs().max().clamp_min(1e-12)).item() for k in a)
        print(f"largest relative difference {worst:.3g}")
        assert worst <= float(args[2]), f"{worst} > {args[2]}"
    elif command == "bitwise-equal":
        a, b = load(args[0]), load(args[1])
        assert same(dict(a["state_dict"]), dict(b["state_dict"])), "state_dicts differ"
        for ra, rb in zip(replicas(a), replicas(b)):
            assert same(ra, rb), "the ranks' replicas differ"
    else:
        raise SystemExit(f"unknown check {command}")
    print(command, "ok:", *args)


if __name__ == "__main__":
    main(*sys.argv[1:])
