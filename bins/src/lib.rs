//! Thin command-line programs: argument parsing and wiring only.
