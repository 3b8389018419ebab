"""Pictures: image grids, traversals and plots written as PNG files."""
