//! Space accounting for trees that share extents: what each tree refers to (`total`) and what
//! only it holds (`unique`, the bytes freed if it were dropped), the way ZFS reports a
//! snapshot's referenced and unique space.
//!
//! Each tree (the live backup area, each snapshot, each clone) is an *owner*. Its files'
//! extents are read with FIEMAP; a device range counts as unique to an owner when no other
//! owner refers to it. Extents without a device address (inline, delayed) and files on
//! filesystems without FIEMAP count as the owner's alone, by allocated size.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::fiemap;
use crate::tree::{io_error, walk_files};
use backupcore::snap::SnapError;

/// Space of one owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    /// Bytes referred to, shared ranges counted once.
    pub total: u64,
    /// Bytes no other owner refers to.
    pub unique: u64,
}

impl Usage {
    /// One usage per owner, each starting with the bytes it owns privately.
    fn private(private: &[u64]) -> Vec<Usage> {
        private
            .iter()
            .map(|&p| Usage {
                total: p,
                unique: p,
            })
            .collect()
    }
}

/// A device range `[start, end)` referred to by `owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range {
    pub start: u64,
    pub end: u64,
    pub owner: usize,
}

/// Totals and unique bytes of `owners` owners from their device ranges, plus bytes each owns
/// privately (`private[i]`, counted in both).
pub(crate) fn account(ranges: &[Range], private: &[u64]) -> Vec<Usage> {
    let owners = private.len();
    let mut usage = Usage::private(private);
    // Boundary events: +1 at start, -1 at end, per owner.
    let mut events: Vec<(u64, usize, i64)> = Vec::with_capacity(ranges.len() * 2);
    for r in ranges {
        if r.end > r.start && r.owner < owners {
            events.push((r.start, r.owner, 1));
            events.push((r.end, r.owner, -1));
        }
    }
    events.sort_unstable();
    let mut counts = vec![0i64; owners];
    let mut active: BTreeMap<usize, ()> = BTreeMap::new();
    let mut prev = 0u64;
    for (pos, owner, delta) in events {
        if pos > prev && !active.is_empty() {
            let len = pos - prev;
            for &o in active.keys() {
                usage[o].total += len;
            }
            if active.len() == 1 {
                if let Some((&o, _)) = active.iter().next() {
                    usage[o].unique += len;
                }
            }
        }
        prev = pos;
        counts[owner] += delta;
        if counts[owner] > 0 {
            active.insert(owner, ());
        } else {
            active.remove(&owner);
        }
    }
    usage
}

/// Reads the extents of every regular file under each root (one owner per root; a missing
/// root owns nothing) and accounts them.
pub(crate) fn measure(roots: &[PathBuf]) -> Result<Vec<Usage>, SnapError> {
    let mut ranges = Vec::new();
    let mut private = vec![0u64; roots.len()];
    for (owner, root) in roots.iter().enumerate() {
        if !root.exists() {
            continue;
        }
        walk_files(root, &mut |path: &Path| {
            let file = File::open(path).map_err(|e| io_error("cannot read", path, &e))?;
            match fiemap::extents(&file) {
                Ok(list) => {
                    for e in list {
                        if e.addressable {
                            ranges.push(Range {
                                start: e.physical,
                                end: e.physical.saturating_add(e.length),
                                owner,
                            });
                        } else {
                            private[owner] += e.length;
                        }
                    }
                }
                Err(_) => {
                    let meta = file
                        .metadata()
                        .map_err(|e| io_error("cannot stat", path, &e))?;
                    private[owner] += meta.blocks() * 512;
                }
            }
            Ok(())
        })?;
    }
    Ok(account(&ranges, &private))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    /// The model: byte by byte, who refers to it.
    fn brute(ranges: &[Range], private: &[u64]) -> Vec<Usage> {
        let mut usage = Usage::private(private);
        let max = ranges.iter().map(|r| r.end).max().unwrap_or(0);
        for b in 0..max {
            let mut owners: Vec<usize> = ranges
                .iter()
                .filter(|r| r.start <= b && b < r.end)
                .map(|r| r.owner)
                .collect();
            owners.sort_unstable();
            owners.dedup();
            for &o in &owners {
                usage[o].total += 1;
            }
            if owners.len() == 1 {
                usage[owners[0]].unique += 1;
            }
        }
        usage
    }

    #[test]
    fn shared_once_unique_apart() {
        // Owner 0 (live) and owner 1 (snapshot) share [0,100); each changed 10 bytes apart.
        let ranges = [
            Range {
                start: 0,
                end: 100,
                owner: 0,
            },
            Range {
                start: 0,
                end: 100,
                owner: 1,
            },
            Range {
                start: 100,
                end: 110,
                owner: 0,
            },
            Range {
                start: 200,
                end: 210,
                owner: 1,
            },
        ];
        let u = account(&ranges, &[0, 5]);
        assert_eq!(
            u[0],
            Usage {
                total: 110,
                unique: 10
            }
        );
        assert_eq!(
            u[1],
            Usage {
                total: 115,
                unique: 15
            }
        );
    }

    proptest! {
        #[test]
        fn matches_the_byte_model(
            raw in proptest::collection::vec((0u64..300, 0u64..60, 0usize..4), 0..25),
            private in proptest::collection::vec(0u64..50, 4),
        ) {
            let ranges: Vec<Range> = raw
                .iter()
                .map(|&(start, len, owner)| Range { start, end: start + len, owner })
                .collect();
            prop_assert_eq!(account(&ranges, &private), brute(&ranges, &private));
        }
    }
}
