//! Sample configurations (`*.cfg` beside this file) and runnable examples of embedding the crates.
//! Build them with `cargo build --examples`.
