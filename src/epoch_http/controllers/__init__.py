"""One controller module per API group of the reference."""
