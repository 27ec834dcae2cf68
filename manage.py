#!/usr/bin/env python
"""The same entry point as the `leadloop` console script."""

from leadloop.__main__ import main

if __name__ == "__main__":
    main()
