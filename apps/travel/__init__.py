"""The bundled travel app: books a flight on a booking site through browser syscalls."""
