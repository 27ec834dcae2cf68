"""leadloop: closed-loop lead management."""
