//! The app's log file, capped in size: when it passes the cap it becomes `<name>.1` (replacing the
//! previous one) and a new file starts, so that a long-running app never fills the disk.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The cap of one log file; with the one kept before it, the logs take at most twice this.
pub const MAX_BYTES: u64 = 1024 * 1024;

pub struct LogFile {
    path: PathBuf,
    file: File,
    written: u64,
    max: u64,
}

impl LogFile {
    pub fn open(path: &Path, max: u64) -> io::Result<std::sync::Mutex<LogFile>> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let written = file.metadata()?.len();
        let mut log = LogFile { path: path.to_path_buf(), file, written, max };
        if log.written >= max {
            log.rotate()?;
        }
        Ok(std::sync::Mutex::new(log))
    }

    fn previous(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".1");
        self.path.with_file_name(name)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        std::fs::rename(&self.path, self.previous())?;
        self.file = OpenOptions::new().create(true).append(true).open(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written + buf.len() as u64 > self.max && self.written > 0 {
            // A log line is never worth failing over: keep writing to the old file if renaming fails.
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_never_grows_past_twice_its_cap() {
        let dir = std::env::temp_dir().join(format!("atom-logfile-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("app.log");
        let log = LogFile::open(&path, 1000).unwrap();
        let line = [b'x'; 99];
        for _ in 0..100 {
            let mut log = log.lock().unwrap();
            log.write_all(&line).unwrap();
            log.write_all(b"\n").unwrap();
        }
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        assert!(size(&path) <= 1000, "current log is {} bytes", size(&path));
        assert!(size(&dir.join("app.log.1")) <= 1000);
        assert!(size(&dir.join("app.log.1")) > 0, "the previous part is kept");
        // A restart with a full log starts a new one.
        std::fs::write(&path, vec![b'y'; 2000]).unwrap();
        drop(LogFile::open(&path, 1000).unwrap());
        assert_eq!(size(&path), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
