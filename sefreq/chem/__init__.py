"""Chemistry: standardisation, fingerprints with bit -> atom maps, descriptors, drawing."""
