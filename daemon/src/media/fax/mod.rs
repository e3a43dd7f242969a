//! Fax documents: PDF/TIFF to fax TIFF (TIFF/F), and fax TIFF to PDF.
