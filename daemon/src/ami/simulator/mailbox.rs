//! The simulator's app_voicemail: reads and changes a spool directory the way app_voicemail
//! does, so tests see the same files move. Moving gives the message the next free number
//! in its new folder; moving or deleting closes the gap it leaves (app_voicemail
//! renumbers), which is exactly what makes file numbers unsafe as message ids.
//!
//! Also writes messages into a spool ([`SimSpool::deposit`]) as `VoiceMail()` would, for
//! tests and benchmarks. It reads and writes `msgNNNN.txt` with its own few lines rather
//! than the inbox's parser, so the inbox is tested against an independent reading of the
//! format. Synchronous file I/O; spools in tests are small.

use std::path::{Path, PathBuf};

use crate::ami::events::VoicemailBoxDetail;

/// Extensions a message's files may have.
const MESSAGE_EXTENSIONS: [&str; 4] = ["txt", "wav", "WAV", "gsm"];

/// app_voicemail's folders, in the order `VoicemailBoxSummary` walks them.
pub const FOLDERS: [&str; 6] = ["INBOX", "Old", "Work", "Family", "Friends", "Urgent"];

/// What `VoiceMail()` writes into a message file, as far as the simulator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimMessage {
    pub msg_id: String,
    /// As written: `"Alice" <1001>`.
    pub callerid: String,
    pub origtime: i64,
    /// The server's local-time text, e.g. `Sat Dec  5 10:40:22 PM UTC 2026`.
    pub origdate: String,
    pub duration_secs: u32,
    /// `Urgent` or empty.
    pub flag: String,
}

impl SimMessage {
    fn render(&self, mailbox: &str, context: &str) -> String {
        format!(
            ";\n; Message Information file\n;\n[message]\norigmailbox={mailbox}\ncontext={context}\n\
             macrocontext=\nexten={mailbox}\nrdnis=unknown\npriority=2\ncallerchan=Local/{mailbox}@{context}-00000001;2\n\
             callerid={}\norigdate={}\norigtime={}\ncategory=\nmsg_id={}\nflag={}\nduration={}\n",
            self.callerid, self.origdate, self.origtime, self.msg_id, self.flag, self.duration_secs,
        )
    }

    fn parse(text: &str) -> Option<SimMessage> {
        let get = |key: &str| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .find(|(k, _)| k.trim() == key)
                .map(|(_, v)| v.trim().to_owned())
        };
        Some(SimMessage {
            msg_id: get("msg_id").filter(|id| !id.is_empty())?,
            callerid: get("callerid").unwrap_or_default(),
            origtime: get("origtime")
                .and_then(|t| t.parse().ok())
                .unwrap_or_default(),
            origdate: get("origdate").unwrap_or_default(),
            duration_secs: get("duration")
                .and_then(|d| d.parse().ok())
                .unwrap_or_default(),
            flag: get("flag").unwrap_or_default(),
        })
    }
}

/// `msg0007.txt` -> 7.
fn message_number(name: &str) -> Option<u32> {
    let digits = name.strip_prefix("msg")?.strip_suffix(".txt")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub struct SimSpool {
    root: PathBuf,
}

impl SimSpool {
    pub fn new(root: &Path) -> SimSpool {
        SimSpool {
            root: root.to_owned(),
        }
    }

    fn safe(part: &str) -> bool {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    fn folder_dir(&self, context: &str, mailbox: &str, folder: &str) -> Option<PathBuf> {
        (Self::safe(context) && Self::safe(mailbox) && Self::safe(folder))
            .then(|| self.root.join(context).join(mailbox).join(folder))
    }

    /// Message numbers of a folder, ascending.
    fn numbers(dir: &Path) -> Vec<u32> {
        let mut numbers: Vec<u32> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str().and_then(message_number))
            .collect();
        numbers.sort_unstable();
        numbers
    }

    fn read(dir: &Path, number: u32) -> Option<SimMessage> {
        let text = std::fs::read(dir.join(format!("msg{number:04}.txt"))).ok()?;
        SimMessage::parse(&String::from_utf8_lossy(&text))
    }

    fn find(dir: &Path, id: &str) -> Option<u32> {
        Self::numbers(dir)
            .into_iter()
            .find(|&n| Self::read(dir, n).is_some_and(|i| i.msg_id == id))
    }

    fn rename_message(from_dir: &Path, from: u32, to_dir: &Path, to: u32) {
        for ext in MESSAGE_EXTENSIONS {
            let src = from_dir.join(format!("msg{from:04}.{ext}"));
            if src.exists() {
                let _ = std::fs::rename(&src, to_dir.join(format!("msg{to:04}.{ext}")));
            }
        }
    }

    /// Renumbers a folder 0, 1, 2… in order, as app_voicemail does after a removal.
    fn close_gaps(dir: &Path) {
        for (want, have) in Self::numbers(dir).into_iter().enumerate() {
            let want = want as u32;
            if want != have {
                Self::rename_message(dir, have, dir, want);
            }
        }
    }

    /// Every message of a mailbox, folder by folder; `None` when the mailbox does not exist.
    pub fn summary(&self, context: &str, mailbox: &str) -> Option<Vec<VoicemailBoxDetail>> {
        let mailbox_dir = self.folder_dir(context, mailbox, "INBOX")?;
        let mailbox_dir = mailbox_dir.parent()?;
        if !mailbox_dir.is_dir() {
            return None;
        }
        let mut details = Vec::new();
        for folder in FOLDERS {
            let dir = mailbox_dir.join(folder);
            for n in Self::numbers(&dir) {
                let Some(info) = Self::read(&dir, n) else {
                    continue;
                };
                details.push(VoicemailBoxDetail {
                    folder: folder.to_owned(),
                    caller_id: info.callerid,
                    date: info.origdate,
                    duration_secs: Some(info.duration_secs),
                    flag: info.flag,
                    id: info.msg_id,
                });
            }
        }
        Some(details)
    }

    pub fn move_message(
        &self,
        context: &str,
        mailbox: &str,
        folder: &str,
        id: &str,
        to_folder: &str,
    ) -> bool {
        let (Some(from_dir), Some(to_dir)) = (
            self.folder_dir(context, mailbox, folder),
            self.folder_dir(context, mailbox, to_folder),
        ) else {
            return false;
        };
        let Some(number) = Self::find(&from_dir, id) else {
            return false;
        };
        if std::fs::create_dir_all(&to_dir).is_err() {
            return false;
        }
        let next = Self::numbers(&to_dir).last().map_or(0, |n| n + 1);
        Self::rename_message(&from_dir, number, &to_dir, next);
        Self::close_gaps(&from_dir);
        true
    }

    pub fn remove_message(&self, context: &str, mailbox: &str, folder: &str, id: &str) -> bool {
        let Some(dir) = self.folder_dir(context, mailbox, folder) else {
            return false;
        };
        let Some(number) = Self::find(&dir, id) else {
            return false;
        };
        for ext in MESSAGE_EXTENSIONS {
            let _ = std::fs::remove_file(dir.join(format!("msg{number:04}.{ext}")));
        }
        Self::close_gaps(&dir);
        true
    }

    /// (urgent, new, old) as `MailboxCount` reports them: new is INBOX, urgent is Urgent.
    pub fn counts(&self, context: &str, mailbox: &str) -> (usize, usize, usize) {
        let count = |folder: &str| {
            self.folder_dir(context, mailbox, folder)
                .map_or(0, |d| Self::numbers(&d).len())
        };
        (count("Urgent"), count("INBOX"), count("Old"))
    }

    /// Leaves a message as `VoiceMail()` would: the next number in the folder, the message
    /// file and the recording (`audio` written as `msgNNNN.<ext>`). Returns the number.
    pub fn deposit(
        &self,
        context: &str,
        mailbox: &str,
        folder: &str,
        info: &SimMessage,
        audio: Option<(&str, &[u8])>,
    ) -> std::io::Result<u32> {
        let dir = self
            .folder_dir(context, mailbox, folder)
            .ok_or_else(|| std::io::Error::other("bad context or mailbox"))?;
        std::fs::create_dir_all(&dir)?;
        let number = Self::numbers(&dir).last().map_or(0, |n| n + 1);
        if let Some((ext, bytes)) = audio {
            std::fs::write(dir.join(format!("msg{number:04}.{ext}")), bytes)?;
        }
        std::fs::write(
            dir.join(format!("msg{number:04}.txt")),
            info.render(mailbox, context),
        )?;
        Ok(number)
    }
}

/// A message as `VoiceMail()` would describe it, left at `origtime` by `caller_number`.
pub fn sample_message(
    msg_id: &str,
    caller_number: &str,
    origtime: i64,
    duration_secs: u32,
) -> SimMessage {
    let origdate = chrono::DateTime::from_timestamp(origtime, 0)
        .map(|t| t.format("%a %b %e %I:%M:%S %p UTC %Y").to_string())
        .unwrap_or_default();
    SimMessage {
        msg_id: msg_id.to_owned(),
        callerid: format!("\"Caller {caller_number}\" <{caller_number}>"),
        origtime,
        origdate,
        duration_secs,
        flag: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_dates_read_like_asterisks() {
        assert_eq!(
            sample_message("x", "5550001", 1_796_510_422, 16).origdate,
            "Sat Dec  5 10:40:22 PM UTC 2026"
        );
    }

    #[test]
    fn moving_renumbers_the_source_folder_and_keeps_ids() {
        let dir = tempfile::tempdir().expect("tmp");
        let spool = SimSpool::new(dir.path());
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            spool
                .deposit(
                    "default",
                    "1001",
                    "INBOX",
                    &sample_message(id, "1", i as i64, 1),
                    Some(("wav", b"x")),
                )
                .expect("deposit");
        }
        assert!(spool.move_message("default", "1001", "INBOX", "a", "Old"));
        let inbox = dir.path().join("default/1001/INBOX");
        assert_eq!(SimSpool::numbers(&inbox), vec![0, 1]);
        assert_eq!(
            SimSpool::read(&inbox, 0).map(|i| i.msg_id),
            Some("b".into())
        );
        assert!(inbox.join("msg0001.wav").exists());
        assert!(
            !spool.move_message("default", "1001", "INBOX", "a", "Old"),
            "already moved"
        );
    }
}
