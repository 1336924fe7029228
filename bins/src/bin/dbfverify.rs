//! `dbfverify`: being built.
fn main() {}
