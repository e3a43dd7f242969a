//! Big page buffers backed by transparent huge pages where the kernel offers them. A fax page
//! renders into 16 MB of RGBA; faulted in 4 KB at a time that is 4,000 page faults per
//! rendering thread, about a quarter of a PDF conversion's CPU time. With the buffer advised
//! for huge pages it is a handful of 2 MB faults. Nothing here reads or writes the memory.

/// A zeroed buffer of `len` bytes, advised for huge pages before anything touches it.
pub fn zeroed(len: usize) -> Vec<u8> {
    // Zeroed allocations this large come straight from the kernel, untouched: the advice
    // applies before the first fault.
    let mut buf = vec![0u8; len];
    advise(&mut buf);
    buf
}

#[cfg(target_os = "linux")]
fn advise(buf: &mut [u8]) {
    const PAGE: usize = 4096;
    let start = buf.as_mut_ptr() as usize;
    let aligned = start.next_multiple_of(PAGE);
    let end = start + buf.len();
    if aligned >= end {
        return;
    }
    #[allow(unsafe_code)]
    // SAFETY: the range lies inside `buf`, which is exclusively borrowed and stays allocated
    // for the call; MADV_HUGEPAGE changes only how the kernel backs the range with pages, never
    // its contents, and an advice the kernel refuses is harmless.
    let advised = unsafe {
        rustix::mm::madvise(
            aligned as *mut core::ffi::c_void,
            end - aligned,
            rustix::mm::Advice::LinuxHugepage,
        )
    };
    if let Err(e) = advised {
        tracing::debug!(error = %e, "huge pages not available for the page buffer");
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_buf: &mut [u8]) {}

#[cfg(test)]
mod tests {
    #[test]
    fn buffer_is_zeroed_and_of_the_asked_length() {
        let buf = super::zeroed(3 << 20);
        assert_eq!(buf.len(), 3 << 20);
        assert!(buf.iter().all(|&b| b == 0));
    }

    /// Where the kernel gives huge pages only on request (`madvise` mode), the buffer's
    /// mapping must say it is eligible for them.
    #[cfg(target_os = "linux")]
    #[test]
    fn buffer_is_eligible_for_huge_pages_where_the_kernel_offers_them_on_request() {
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
            .unwrap_or_default();
        if !mode.contains("[madvise]") {
            eprintln!(
                "transparent huge pages not in madvise mode ({}); nothing to check",
                mode.trim()
            );
            return;
        }
        let buf = super::zeroed(16 << 20);
        let address = buf.as_ptr() as usize + buf.len() / 2;
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut in_mapping = false;
        let mut eligible = None;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((start, end)) = range.split_once('-') {
                    if let (Ok(start), Ok(end)) = (
                        usize::from_str_radix(start, 16),
                        usize::from_str_radix(end, 16),
                    ) {
                        in_mapping = (start..end).contains(&address);
                        continue;
                    }
                }
            }
            if in_mapping {
                if let Some(value) = line.strip_prefix("THPeligible:") {
                    eligible = Some(value.trim() == "1");
                }
            }
        }
        assert_eq!(eligible, Some(true), "mapping of the page buffer");
    }
}
