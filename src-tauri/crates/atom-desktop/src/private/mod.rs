//! Files only this user may read, one implementation per platform: on Unix a folder of mode 0700 and
//! files of mode 0600; on Windows the user's profile folders already keep other users out (their
//! inherited access lists), so nothing more is set.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{create_file, narrow_folder, sync_folder};
#[cfg(not(unix))]
mod windows;
#[cfg(not(unix))]
pub use windows::{create_file, narrow_folder, sync_folder};
