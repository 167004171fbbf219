use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Nothing to narrow: the profile's folders inherit access for this user (and the system) only.
pub fn narrow_folder(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// A new, empty file (or an old one emptied), with the folder's access list.
pub fn create_file(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create(true).truncate(true).open(path)
}

/// Windows cannot open a folder to flush it; a rename there is already durable.
pub fn sync_folder(_dir: &Path) {}
