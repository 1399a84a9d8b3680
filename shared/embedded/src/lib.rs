//! The embedded default: rebalance a whole book in-process.
