//! CCITT decoding (T.4 one- and two-dimensional, T.6) into a [`Bitmap`], on top of
//! `hayro-ccitt`. The `tiff` crate only decodes Group 4, and received faxes are Group 3 2-D.
//! Input is MSB-first; callers reverse FillOrder 2 data before calling.

use super::FaxError;
use super::bitmap::Bitmap;
use hayro_ccitt::{DecodeSettings, Decoder, DecoderContext, EncodingMode};

/// How a CCITT strip is coded, as TIFF's Compression and T4Options tags say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// Compression 2: Modified Huffman, no EOLs, each row starts on a byte boundary.
    ModifiedHuffman,
    /// Compression 3 with T4Options bit 0 (`two_d`) and bit 2 (`byte_aligned` EOLs).
    Group3 { two_d: bool, byte_aligned: bool },
    /// Compression 4.
    Group4,
}

struct RowSink<'a> {
    bitmap: &'a mut Bitmap,
    next_row: u32,
}

impl Decoder for RowSink<'_> {
    fn push_row(&mut self, changes: &[u32]) {
        if self.next_row < self.bitmap.height() {
            self.bitmap.fill_row_from_changes(self.next_row, changes);
            self.next_row += 1;
        }
    }
}

/// Decodes a strip of `rows` lines of `width` pixels. Data that ends early is an error rather
/// than a silently short page; lines after the last one in the data stay white only when the
/// decoder reports a clean end (RTC/EOFB).
pub fn decode(data: &[u8], width: u32, rows: u32, coding: Coding) -> Result<Bitmap, FaxError> {
    let (encoding, end_of_line, byte_aligned) = match coding {
        Coding::ModifiedHuffman => (EncodingMode::Group3_1D, false, true),
        Coding::Group3 {
            two_d,
            byte_aligned,
        } => (
            if two_d {
                EncodingMode::Group3_2D
            } else {
                EncodingMode::Group3_1D
            },
            true,
            byte_aligned,
        ),
        Coding::Group4 => (EncodingMode::Group4, false, false),
    };
    let settings = DecodeSettings {
        columns: width,
        rows,
        end_of_block: true,
        end_of_line,
        rows_are_byte_aligned: byte_aligned,
        encoding,
        strict: false,
    };
    let mut bitmap = Bitmap::new(width, rows);
    let mut sink = RowSink {
        bitmap: &mut bitmap,
        next_row: 0,
    };
    let mut ctx = DecoderContext::new(settings);
    let result = hayro_ccitt::decode(data, &mut sink, &mut ctx);
    let decoded_rows = sink.next_row;
    match result {
        Ok(_) => Ok(bitmap),
        // A transmission error near the end of a received page still leaves a useful page,
        // which is what fax software shows; an image that decodes to almost nothing is broken.
        Err(e) if decoded_rows >= rows.saturating_sub(rows / 20).max(1) => {
            tracing::warn!(decoded_rows, rows, error = %e, "CCITT data ends early; rest of page left white");
            Ok(bitmap)
        }
        Err(e) => Err(FaxError::CorruptImage(format!(
            "CCITT data is damaged after {decoded_rows} of {rows} rows: {e}"
        ))),
    }
}
