"""Every write of the domain, one module per area."""
