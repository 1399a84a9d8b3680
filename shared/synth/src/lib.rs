//! Deterministic generator of synthetic books.
