"""Autograd mechanics (articles /autograd/vector-jacobian/, /autograd/retain-graph/)."""
