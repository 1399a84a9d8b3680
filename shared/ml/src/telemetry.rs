//! (arrives with issue 6)
