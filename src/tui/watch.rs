//! The watch screen (placeholder until the screen lands).

use crate::commands::watch_start::Prepared;
use crate::exit::Exit;

pub fn run(rt: &tokio::runtime::Runtime, p: Prepared) -> color_eyre::Result<Exit> {
    rt.block_on(crate::commands::watch_lines::watch(p))
}
