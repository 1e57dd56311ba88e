//! A notify FIFO read by a thread from before the daemon starts until the test asks for its text.

#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// Reads a FIFO opened (non-blocking) before the daemon starts, until told to stop.
pub struct FifoReader {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<String>>,
}

impl FifoReader {
    pub fn open(path: &Path) -> FifoReader {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .expect("open fifo");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut text = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match f.read(&mut buf) {
                    Ok(n) if n > 0 => text.extend_from_slice(&buf[..n]),
                    _ => {
                        if s.load(std::sync::atomic::Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
            String::from_utf8_lossy(&text).into_owned()
        });
        FifoReader {
            stop,
            handle: Some(handle),
        }
    }

    pub fn finish(mut self) -> String {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.handle.take().unwrap().join().expect("fifo thread")
    }
}

impl Drop for FifoReader {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
