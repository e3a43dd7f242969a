//! Fax page geometry: the TIFF/F grid for a resolution and paper size, and where a source
//! page of a given physical size lands on it (rotation, scale, offsets). Pure arithmetic;
//! no pixels here.

use super::{Paper, Resolution};

/// Every TIFF/F page for A4/Letter is 1728 pixels across at 204 dpi (T.4 §2.2).
pub const FAX_WIDTH: u32 = 1728;
pub const FAX_X_DPI: u32 = 204;

/// The output pixel grid of one fax page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaxGrid {
    pub width: u32,
    pub rows: u32,
    pub x_dpi: u32,
    pub y_dpi: u32,
}

impl FaxGrid {
    pub fn new(resolution: Resolution, paper: Paper) -> Self {
        let y_dpi = match resolution {
            Resolution::Fine => 196,
            Resolution::Standard => 98,
        };
        let length_inches = match paper {
            Paper::A4 => 297.0 / 25.4,
            Paper::Letter => 11.0,
        };
        FaxGrid {
            width: FAX_WIDTH,
            rows: (length_inches * f64::from(y_dpi)).round() as u32,
            x_dpi: FAX_X_DPI,
            y_dpi,
        }
    }
}

/// Where a source page goes on the grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Turn the source a quarter turn clockwise first (landscape pages).
    pub rotate: bool,
    /// Output pixels per source inch, across and down (after rotation).
    pub x_pixels_per_inch: f64,
    pub y_pixels_per_inch: f64,
    /// Size of the placed image in output pixels.
    pub width: u32,
    pub height: u32,
    /// Top-left corner of the placed image on the grid.
    pub left: u32,
    pub top: u32,
}

/// Fits a page of `width_in` x `height_in` inches onto the grid: landscape pages are turned
/// upright, the page is scaled to the full fax width unless that would make it longer than
/// the paper, the physical aspect ratio is kept (fax pixels are not square), and the image
/// is centred across and placed at the top.
pub fn place(width_in: f64, height_in: f64, grid: &FaxGrid) -> Placement {
    let rotate = width_in > height_in;
    let (w, h) = if rotate {
        (height_in, width_in)
    } else {
        (width_in, height_in)
    };
    let w = w.max(1.0 / 72.0);
    let h = h.max(1.0 / 72.0);
    let fit_width = f64::from(grid.width) / (w * f64::from(grid.x_dpi));
    let fit_length = f64::from(grid.rows) / (h * f64::from(grid.y_dpi));
    let scale = fit_width.min(fit_length);
    let x_ppi = f64::from(grid.x_dpi) * scale;
    let y_ppi = f64::from(grid.y_dpi) * scale;
    let width = ((w * x_ppi).round() as u32).clamp(1, grid.width);
    let height = ((h * y_ppi).round() as u32).clamp(1, grid.rows);
    Placement {
        rotate,
        x_pixels_per_inch: x_ppi,
        y_pixels_per_inch: y_ppi,
        width,
        height,
        left: (grid.width - width) / 2,
        top: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a4_fine_grid_is_1728_by_2292_like_spandsp() {
        let grid = FaxGrid::new(Resolution::Fine, Paper::A4);
        assert_eq!(
            (grid.width, grid.rows, grid.x_dpi, grid.y_dpi),
            (1728, 2292, 204, 196)
        );
    }

    #[test]
    fn letter_standard_grid_has_98_lines_per_inch() {
        let grid = FaxGrid::new(Resolution::Standard, Paper::Letter);
        assert_eq!((grid.rows, grid.y_dpi), (1078, 98));
    }

    #[test]
    fn letter_page_fills_the_fax_width() {
        let grid = FaxGrid::new(Resolution::Fine, Paper::Letter);
        let p = place(8.5, 11.0, &grid);
        assert!(!p.rotate);
        assert_eq!(p.width, 1728);
        assert!(p.height <= grid.rows && p.height >= grid.rows - 8);
    }

    #[test]
    fn landscape_page_is_rotated_upright() {
        let grid = FaxGrid::new(Resolution::Fine, Paper::A4);
        let p = place(11.69, 8.27, &grid);
        assert!(p.rotate);
        assert!(p.height > p.width);
    }

    #[test]
    fn long_page_is_shrunk_to_the_paper_length_and_centred() {
        let grid = FaxGrid::new(Resolution::Fine, Paper::A4);
        let p = place(8.5, 30.0, &grid);
        assert_eq!(p.height, grid.rows);
        assert!(p.width < 1728 / 2);
        assert_eq!(p.left, (1728 - p.width) / 2);
    }

    #[test]
    fn standard_resolution_keeps_physical_aspect_with_non_square_pixels() {
        let grid = FaxGrid::new(Resolution::Standard, Paper::A4);
        let p = place(8.0, 8.0 * 1.2, &grid);
        let aspect = (f64::from(p.height) / 98.0) / (f64::from(p.width) / 204.0);
        assert!((aspect - 1.2).abs() < 0.01, "aspect {aspect}");
    }
}
