"""`leadloop bench`: measure the app against baselines taken in the same run."""
