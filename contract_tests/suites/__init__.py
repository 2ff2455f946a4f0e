"""The contract suite's test modules, one or more per layer (run with pytest or ``immigraflow-contract``)."""
