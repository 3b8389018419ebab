"""DEFT's annealing test: information freezing points of the factors
(`ifp`: pure functions on traces, `annealing`: the one-latent β-VAE runs,
`plot`: the figure). The DEFT model itself is tfdisent.models.deft."""
