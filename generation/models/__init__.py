"""The avatar studio's models, one module per part of the domain."""
