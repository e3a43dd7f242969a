// Copyright 2026 the Vello Authors
// SPDX-License-Identifier: Apache-2.0 OR MIT

pub(crate) mod bucketer;
mod cmd;
pub(crate) mod depth;

pub(crate) use bucketer::{CommandBucketer, RowState};
pub use cmd::PaintFillAttrs;
pub(crate) use cmd::RenderCmd;
