"""Benchmark support: corpora, interleaved harness, peers, targets, the check and report commands, the memory probe."""
