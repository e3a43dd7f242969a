//! Reading app_voicemail's spool: `<spool>/<context>/<mailbox>/<Folder>/msgNNNN.txt` plus the
//! recording beside it (`msgNNNN.wav`, `.WAV` or `.gsm`).
//!
//! Read-only: Ringside never writes, renames or deletes here (app_voicemail owns the
//! numbering, its locks and the message-waiting lights); changes go through the manager.
//! A message file that cannot be read is reported beside the list, not fatal to it.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::message_file::{self, MessageInfo};
use super::parsed_cache::{FileVersion, FolderFiles, ParsedCache};

/// The folders app_voicemail keeps and Ringside shows: the portal's type, so that a folder
/// means one thing from the spool to the JSON API. `key()` is the directory name.
pub use ringside_portal::model::VoicemailFolder as Folder;

/// A mailbox number: digits only, so it is safe in paths and manager headers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailboxNumber(String);

impl MailboxNumber {
    const MAX_LEN: usize = 32;

    pub fn parse(text: &str) -> Option<MailboxNumber> {
        let ok = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| MailboxNumber(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MailboxNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One message found in the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolMessage {
    pub folder: Folder,
    /// The `NNNN` of `msgNNNN`; changes when app_voicemail renumbers, unlike `info.msg_id`.
    pub number: u32,
    pub info: MessageInfo,
}

/// A message file that could not be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub folder: Folder,
    pub file: String,
    pub reason: String,
}

/// What one folder holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderContents {
    pub messages: Vec<SpoolMessage>,
    pub unreadable: Vec<Unreadable>,
}

/// Message files are a few hundred bytes; more than this is not a message file.
const MAX_MESSAGE_FILE: u64 = 16 * 1024;

/// `msg0007.txt` -> 7.
pub fn message_number(file_name: &str) -> Option<u32> {
    let digits = file_name.strip_prefix("msg")?.strip_suffix(".txt")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The spool of one voicemail context.
#[derive(Debug, Clone)]
pub struct Spool {
    root: PathBuf,
    context: String,
    parsed: ParsedCache,
}

impl Spool {
    /// `root` is app_voicemail's spool (`/var/spool/asterisk/voicemail`).
    pub fn new(root: impl Into<PathBuf>, context: impl Into<String>) -> Spool {
        Spool {
            root: root.into(),
            context: context.into(),
            parsed: ParsedCache::default(),
        }
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn mailbox_dir(&self, mailbox: &MailboxNumber) -> PathBuf {
        self.root.join(&self.context).join(mailbox.as_str())
    }

    pub fn folder_dir(&self, mailbox: &MailboxNumber, folder: Folder) -> PathBuf {
        self.mailbox_dir(mailbox).join(folder.key())
    }

    /// `…/<Folder>/msgNNNN` without extension: the recording's files share this stem.
    pub fn message_stem(&self, mailbox: &MailboxNumber, message: &SpoolMessage) -> PathBuf {
        self.folder_dir(mailbox, message.folder)
            .join(format!("msg{:04}", message.number))
    }

    /// Reads every message file of a folder; a missing folder is empty.
    pub fn read_folder(
        &self,
        mailbox: &MailboxNumber,
        folder: Folder,
    ) -> std::io::Result<FolderContents> {
        let dir = self.folder_dir(mailbox, folder);
        let mut contents = FolderContents::default();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(contents),
            Err(e) => return Err(e),
        };
        let mut known = self.parsed.take(&dir);
        let mut seen = FolderFiles::with_capacity(known.len());
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(number) = message_number(name) else {
                continue;
            };
            let version = entry.metadata().ok().map(|m| FileVersion::of(&m));
            let cached = match (known.remove(name), version) {
                (Some((was, info)), Some(now)) if was == now => Some(info),
                _ => None,
            };
            let parsed = match cached {
                Some(info) => Ok(info),
                None => read_message_file(&entry.path()),
            };
            match parsed {
                Ok(info) => {
                    if let Some(version) = version {
                        seen.insert(name.to_owned(), (version, info.clone()));
                    }
                    contents.messages.push(SpoolMessage {
                        folder,
                        number,
                        info,
                    })
                }
                Err(reason) => {
                    // Reported to the caller with the listing; logging it on every look (the
                    // portal polls) would flood the log.
                    tracing::debug!(file = %entry.path().display(), %reason, "voicemail message file skipped");
                    contents.unreadable.push(Unreadable {
                        folder,
                        file: name.to_owned(),
                        reason,
                    })
                }
            }
        }
        self.parsed.put(dir, seen);
        Ok(contents)
    }

    /// How many message files a folder holds (without reading them).
    pub fn count(&self, mailbox: &MailboxNumber, folder: Folder) -> std::io::Result<u32> {
        let entries = match std::fs::read_dir(self.folder_dir(mailbox, folder)) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut n = 0u32;
        for entry in entries {
            if entry?
                .file_name()
                .to_str()
                .and_then(message_number)
                .is_some()
            {
                n = n.saturating_add(1);
            }
        }
        Ok(n)
    }

    /// Finds a message by msg_id in any folder.
    pub fn find(
        &self,
        mailbox: &MailboxNumber,
        msg_id: &str,
    ) -> std::io::Result<Option<SpoolMessage>> {
        for folder in Folder::ALL {
            let contents = self.read_folder(mailbox, folder)?;
            if let Some(m) = contents
                .messages
                .into_iter()
                .find(|m| m.info.msg_id == msg_id)
            {
                return Ok(Some(m));
            }
        }
        Ok(None)
    }
}

fn read_message_file(path: &Path) -> Result<MessageInfo, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_MESSAGE_FILE)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    message_file::parse(&String::from_utf8_lossy(&bytes)).map_err(|e| e.to_string())
}

/// Newest first (by `origtime`, then by number), as the inbox lists them.
pub fn sort_newest_first(messages: &mut [SpoolMessage]) {
    messages.sort_by(|a, b| {
        b.info
            .origtime
            .cmp(&a.info.origtime)
            .then(b.number.cmp(&a.number))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_parse_in_any_case() {
        assert_eq!(Folder::parse("inbox"), Some(Folder::Inbox));
        assert_eq!(Folder::parse("OLD"), Some(Folder::Old));
        assert_eq!(Folder::parse("Deleted"), None);
    }

    #[test]
    fn only_digit_mailboxes_are_accepted() {
        assert!(MailboxNumber::parse("1001").is_some());
        for bad in [
            "",
            "../1001",
            "10 01",
            "1001\r\nAction: Logoff",
            &"1".repeat(33),
        ] {
            assert!(MailboxNumber::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn message_numbers_come_from_file_names() {
        assert_eq!(message_number("msg0000.txt"), Some(0));
        assert_eq!(message_number("msg0123.txt"), Some(123));
        assert_eq!(message_number("msg0123.wav"), None);
        assert_eq!(message_number("msg.txt"), None);
        assert_eq!(message_number("greet.txt"), None);
    }

    fn message(number: u32, origtime: Option<i64>) -> SpoolMessage {
        SpoolMessage {
            folder: Folder::Inbox,
            number,
            info: MessageInfo {
                msg_id: format!("id-{number}"),
                caller_name: String::new(),
                caller_number: String::new(),
                origtime,
                origdate: String::new(),
                duration_secs: None,
                urgent: false,
            },
        }
    }

    #[test]
    fn newest_first_orders_by_time_then_number() {
        let mut list = vec![
            message(0, Some(10)),
            message(1, Some(30)),
            message(2, None),
            message(3, Some(30)),
        ];
        sort_newest_first(&mut list);
        let order: Vec<u32> = list.iter().map(|m| m.number).collect();
        assert_eq!(order, vec![3, 1, 0, 2]);
    }

    fn write_message(dir: &Path, number: u32, msg_id: &str, caller: &str) {
        std::fs::create_dir_all(dir).expect("folder");
        std::fs::write(
            dir.join(format!("msg{number:04}.txt")),
            format!(
                ";\n; Message Information file\n;\n[message]\norigmailbox=1001\ncontext=default\n\
                 callerid=\"{caller}\" <5551234>\norigtime=1796510000\nmsg_id={msg_id}\nduration=3\nflag=\n"
            ),
        )
        .expect("message file");
    }

    fn callers(spool: &Spool, mailbox: &MailboxNumber) -> Vec<(u32, String)> {
        let mut list: Vec<(u32, String)> = spool
            .read_folder(mailbox, Folder::Inbox)
            .expect("read")
            .messages
            .into_iter()
            .map(|m| (m.number, m.info.caller_name))
            .collect();
        list.sort();
        list
    }

    #[test]
    fn a_message_file_rewritten_in_place_is_read_again() {
        let root = tempfile::tempdir().expect("tmp");
        let spool = Spool::new(root.path(), "default");
        let mailbox = MailboxNumber::parse("1001").expect("mailbox");
        let dir = root.path().join("default/1001/INBOX");
        write_message(&dir, 0, "m-0", "Alice");
        assert_eq!(callers(&spool, &mailbox), vec![(0, "Alice".into())]);
        write_message(&dir, 0, "m-0", "Bobby");
        assert_eq!(callers(&spool, &mailbox), vec![(0, "Bobby".into())]);
    }

    #[test]
    fn renumbered_and_deleted_messages_are_listed_as_they_are_now() {
        let root = tempfile::tempdir().expect("tmp");
        let spool = Spool::new(root.path(), "default");
        let mailbox = MailboxNumber::parse("1001").expect("mailbox");
        let dir = root.path().join("default/1001/INBOX");
        write_message(&dir, 0, "m-0", "Alice");
        write_message(&dir, 1, "m-1", "Bobby");
        assert_eq!(callers(&spool, &mailbox).len(), 2);
        // app_voicemail deletes msg0000 and renumbers msg0001 to msg0000.
        std::fs::remove_file(dir.join("msg0000.txt")).expect("delete");
        std::fs::rename(dir.join("msg0001.txt"), dir.join("msg0000.txt")).expect("renumber");
        assert_eq!(callers(&spool, &mailbox), vec![(0, "Bobby".into())]);
    }
}
