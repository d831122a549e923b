// SPDX-License-Identifier: GPL-2.0

//! A guest's invalidation commands, carried out in synced batches.

use super::CommandQueue;
use crate::spec::command::Command;

/// Guest commands issued per CMD_SYNC (upstream: `CMDQ_BATCH_ENTRIES - 1`).
pub const BATCH: usize = 63;

/// Why a guest's commands stopped short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped<E, R> {
    /// The SMMU did not confirm a batch.
    Queue(E),
    /// The next command was refused, for this reason.
    Refused(R),
}

/// Carries out `cmds` in order, in batches of at most [`BATCH`] commands
/// and a CMD_SYNC. `convert` validates and rewrites one chunk of at most
/// [`BATCH`] commands into `batch`, stopping at the first one it refuses:
/// it returns how many it took, and the reason it refused the next. What
/// it took is issued; a refusal or an unconfirmed batch stops there.
/// Returns how many commands were carried out, and why it stopped short.
pub fn issue_guest_commands<Q: CommandQueue, R>(
    queue: &mut Q,
    cmds: &[Command],
    mut convert: impl FnMut(&[Command], &mut [Command; BATCH]) -> (usize, Option<R>),
) -> (usize, Result<(), Stopped<Q::Error, R>>) {
    let mut batch = [[0u64; 2]; BATCH];
    let mut done = 0;
    for chunk in cmds.chunks(BATCH) {
        let (n, refused) = convert(chunk, &mut batch);
        if n > 0 {
            if let Err(e) = queue.issue(batch[..n].iter().copied()) {
                return (done, Err(Stopped::Queue(e)));
            }
        }
        done += n;
        if let Some(why) = refused {
            return (done, Err(Stopped::Refused(why)));
        }
    }
    (done, Ok(()))
}
