//! `--dry-run`: every script that would be sent, in order, each under a header naming the
//! tool, with the storage steps in between; nothing is run.

use std::sync::{Mutex, PoisonError};

use rman::runner::{Call, Output, RecordingRunner, RunError, Runner};

/// A [`Runner`] that runs nothing and writes each call into a transcript, in which the job
/// also notes the steps that would touch storage or files.
#[derive(Debug, Default)]
pub struct DryRun {
    recorder: RecordingRunner,
    text: Mutex<String>,
}

impl DryRun {
    /// An empty transcript.
    pub fn new() -> DryRun {
        DryRun::default()
    }

    /// Adds a line `----- <what>: <step> -----` (e.g. `storage: create snapshot ...`).
    pub fn note(&self, what: &str, step: &str) {
        self.text
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_str(&format!("----- {what}: {step} -----\n"));
    }

    /// The transcript so far.
    pub fn text(&self) -> String {
        self.text
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Runner for DryRun {
    fn run(&self, call: &Call<'_>) -> Result<Output, RunError> {
        let out = self.recorder.run(call);
        if let Some(c) = self.recorder.calls().last() {
            self.text
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_str(&c.dry_run_block());
        }
        out
    }
}
