"""Graph datasets: the SNAP catalogue, verified fetching, and generators."""
