"""`python -m scripts.bench`: run the benchmark suite."""

from scripts.bench.suite import main

main()
